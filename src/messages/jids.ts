import { badRequest } from '../lib/errors.js';

export const PN_SERVER = 's.whatsapp.net';

/**
 * A chat as WUTS stores it: `digits@s.whatsapp.net` or `digits@lid`, without a device part.
 * Accepts phone digits (a leading + is allowed) or a one-to-one JID.
 */
export function normalizeChatJid(input: string, field = 'to'): string {
  const value = input.trim();
  const digits = value.replace(/^\+/, '');
  if (/^[1-9]\d{5,14}$/.test(digits)) return `${digits}@${PN_SERVER}`;
  const match = /^([1-9]\d{5,19})(?::\d{1,3})?@(s\.whatsapp\.net|lid)$/.exec(value);
  if (match) return `${match[1]}@${match[2]}`;
  if (value.endsWith('@g.us')) throw badRequest(`${field}: groups are not supported yet`, 'unsupported_recipient');
  throw badRequest(`${field} must be a phone number in digits (country code first) or a JID such as 15550001111@s.whatsapp.net`, 'invalid_recipient');
}

/** The phone number of a phone-number JID; null for a LID. */
export function phoneOf(jid: string): string | null {
  return jid.endsWith(`@${PN_SERVER}`) ? jid.split('@')[0]! : null;
}
