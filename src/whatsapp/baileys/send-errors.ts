import { SendError } from '../messages.js';
import { accountRestrictedReason } from '../restrictions.js';

/** Errors WhatsApp answers in a message ack that sending again will not cure. */
const PERMANENT_ACK_ERRORS: Record<string, string> = {
  '400': 'WhatsApp refused the message as malformed (400)',
  '404': 'not on WhatsApp: the recipient does not exist (404)',
  '463': accountRestrictedReason(null),
  '479': 'WhatsApp refused the message (479)',
};

/** The same for a message to a group: WhatsApp's refusals there name the group's rules. */
const PERMANENT_GROUP_ACK_ERRORS: Record<string, string> = {
  ...PERMANENT_ACK_ERRORS,
  '403': 'WhatsApp refused the message: only admins can send messages to this group, or this number is not a participant (403)',
  '404': 'WhatsApp refused the message: the group does not exist (404)',
};

/** The code of a refusal because the account may not start new chats (restricted). */
export const ACCOUNT_RESTRICTED_ACK = '463';

/**
 * Why WhatsApp refused a message (its ack error code), and whether sending again could help.
 * `restrictedReason`: what the session knows of the account's restriction, for a 463.
 */
export function ackRefusal(code: string, group: boolean, restrictedReason?: string): { reason: string; permanent: boolean } {
  if (code === ACCOUNT_RESTRICTED_ACK && !group && restrictedReason) return { reason: restrictedReason, permanent: true };
  const known = (group ? PERMANENT_GROUP_ACK_ERRORS : PERMANENT_ACK_ERRORS)[code];
  return { reason: known ?? `WhatsApp refused the message (${code})`, permanent: !!known };
}

/** A failed send in WUTS's terms: permanent when sending again will not cure it. */
export function classifySendError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  const message = (err as Error)?.message ?? String(err);
  const status = (err as { output?: { statusCode?: number } })?.output?.statusCode;
  // Baileys throws this when no device of the recipient could be found or encrypted for
  if (/no sessions|All encryptions failed/i.test(message)) return new SendError(`not on WhatsApp, or no device could be reached: ${message}`, false);
  if (status === 400 || status === 404) return new SendError(message, true);
  return new SendError(message, false);
}
