import { badRequest } from '../lib/errors.js';
import { PHONE_DIGITS, phoneDigits } from '../lib/phone.js';

/**
 * How the API names groups and their participants. A group is its JID, `<digits>@g.us` (older
 * groups: `<creator digits>-<unix time>@g.us`), in the path as it is. A participant is a phone
 * number with the country code (`+`, spaces, dashes, dots and parentheses are dropped), or a user JID
 * (`digits@s.whatsapp.net` or `digits@lid`; a device part is dropped).
 */
const GROUP_JID = /^(\d{5,25}|\d{5,15}-\d{9,11})@g\.us$/;
const USER_JID = /^([1-9]\d{5,19})(?::\d{1,3})?@(s\.whatsapp\.net|lid)$/;
const INVITE_CODE = /^[A-Za-z0-9_-]{16,32}$/;
const INVITE_LINK = /^(?:https?:\/\/)?chat\.whatsapp\.com\/(?:invite\/)?([A-Za-z0-9_-]{16,32})\/?$/;

export const INVITE_LINK_PREFIX = 'https://chat.whatsapp.com/';

export function parseGroupJid(input: string): string {
  const value = input.trim().toLowerCase();
  if (!GROUP_JID.test(value))
    throw badRequest(`group must be a group JID such as 120363041234567890@g.us, not ${JSON.stringify(input.slice(0, 80))}`, 'invalid_group');
  return value;
}

export function parseParticipant(input: string, field: string): string {
  const value = input.trim();
  const digits = phoneDigits(value);
  if (PHONE_DIGITS.test(digits)) return `${digits}@s.whatsapp.net`;
  const match = USER_JID.exec(value);
  if (match) return `${match[1]}@${match[2]}`;
  throw badRequest(
    `${field} must be a phone number in digits with the country code (5511987654321) or a user JID (…@s.whatsapp.net, …@lid), not ${JSON.stringify(input.slice(0, 80))}`,
    'invalid_participant',
  );
}

/** Participants, each once (400 when one is named twice, by number or JID). */
export function parseParticipants(inputs: string[], field = 'participants'): string[] {
  const jids = inputs.map((p, i) => parseParticipant(p, `${field}[${i}]`));
  const seen = new Set<string>();
  for (const [i, jid] of jids.entries()) {
    if (seen.has(jid)) throw badRequest(`${field}[${i}] names ${jid} a second time`, 'duplicate_participant');
    seen.add(jid);
  }
  return jids;
}

/** An invite code, or the link that carries it (`https://chat.whatsapp.com/<code>`). */
export function parseInvite(input: string): string {
  const value = input.trim();
  if (INVITE_CODE.test(value)) return value;
  const link = INVITE_LINK.exec(value);
  if (link) return link[1]!;
  throw badRequest('invite must be an invite code or a link such as https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv', 'invalid_invite');
}

export const phoneOfJid = (jid: string): string | null => (jid.endsWith('@s.whatsapp.net') ? jid.split('@')[0]! : null);
