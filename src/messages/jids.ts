import { badRequest } from '../lib/errors.js';
import { PHONE_DIGITS, PHONE_FORM, phoneDigits } from '../lib/phone.js';

export const PN_SERVER = 's.whatsapp.net';
export const GROUP_SERVER = 'g.us';

/** A group's JID: `120363…@g.us` today, `<creator phone>-<unix time>@g.us` for older groups. */
const GROUP_JID = /^[1-9]\d{5,31}(?:-[1-9]\d{0,19})?@g\.us$/;

/**
 * A user: `digits@s.whatsapp.net` or `digits@lid`, without a device part; or a phone number as
 * people write it (`+55 (11) 98765-4321`: +, spaces, dashes, dots and parentheses are dropped).
 */
export function normalizeUserJid(input: string, field = 'to'): string {
  const value = input.trim();
  const digits = phoneDigits(value);
  if (PHONE_DIGITS.test(digits)) return `${digits}@${PN_SERVER}`;
  const match = /^([1-9]\d{5,19})(?::\d{1,3})?@(s\.whatsapp\.net|lid)$/.exec(value);
  if (match) return `${match[1]}@${match[2]}`;
  throw badRequest(`${field} must be ${PHONE_FORM} or a JID such as 15550001111@s.whatsapp.net`, 'invalid_recipient');
}

/**
 * A chat as WUTS stores it: `digits@s.whatsapp.net` or `digits@lid` (one-to-one, without a
 * device part) or a group JID. Accepts a phone number (punctuation dropped, see normalizeUserJid) or a JID.
 */
export function normalizeChatJid(input: string, field = 'to'): string {
  const value = input.trim();
  if (value.endsWith(`@${GROUP_SERVER}`)) {
    if (GROUP_JID.test(value)) return value;
    throw badRequest(`${field} is no group JID: a group is digits@g.us, such as 120363012345678901@g.us`, 'invalid_recipient');
  }
  return normalizeUserJid(value, field);
}

export function isGroupJid(jid: string): boolean {
  return jid.endsWith(`@${GROUP_SERVER}`);
}

/** The phone number of a phone-number JID; null for a LID or a group. */
export function phoneOf(jid: string): string | null {
  return jid.endsWith(`@${PN_SERVER}`) ? jid.split('@')[0]! : null;
}
