/**
 * The outbound queue's rules, apart from the loop that applies them: when a queued message
 * expires, how long a device pauses between sends, how a failed attempt is retried, and when
 * a recipient's "on WhatsApp" answer must be asked again.
 */

export const TTL_EXPIRED = 'ttl_expired: not sent before its time to live ran out';
export const DEVICE_LOGGED_OUT = 'device_logged_out: the device was unlinked before the message could be sent';

/** A contact's "on WhatsApp" answer is trusted this long before it is checked again. */
export const NUMBER_CHECK_TTL_MS = 24 * 3600_000;
const BACKOFF_MAX_MS = 5 * 60_000;
/** Types that open or continue a conversation, so the recipient must be on WhatsApp. */
const CHECKED_TYPES: ReadonlySet<string> = new Set(['text', 'location', 'contact', 'poll']);

export function isExpired(message: { expires_at: string | null }, now: number): boolean {
  return !!message.expires_at && Date.parse(message.expires_at) <= now;
}

/** The pause before a device's next send: its interval (or the default), jittered by ±`jitterPercent`. */
export function sendPause(intervalMs: number, jitterPercent: number, random: () => number = Math.random): number {
  const jitter = jitterPercent / 100;
  return Math.max(0, intervalMs * (1 + (random() * 2 - 1) * jitter));
}

/** When the head of the queue may go: not before its retry time, nor before the pause after the last send. */
export function dueAt(message: { next_attempt_at: string | null }, lastSentAt: number, pauseMs: number, now: number): number {
  return Math.max(message.next_attempt_at ? Date.parse(message.next_attempt_at) : now, lastSentAt + pauseMs);
}

export type AttemptOutcome = { kind: 'fail'; reason: string } | { kind: 'retry'; attempts: number; retryAt: number; reason: string };

/**
 * After a failed attempt: a permanent error fails the message; a transient one is retried with
 * exponential backoff (1 s doubling, at most 5 min, ±20 %) until `maxAttempts` attempts were made.
 */
export function afterFailedAttempt(
  attemptsBefore: number,
  error: { message: string; permanent: boolean },
  maxAttempts: number,
  now: number,
  random: () => number = Math.random,
): AttemptOutcome {
  const reason = error.message.slice(0, 300);
  const attempts = attemptsBefore + 1;
  if (error.permanent) return { kind: 'fail', reason };
  if (attempts >= maxAttempts) return { kind: 'fail', reason: `gave up after ${attempts} attempts: ${reason}` };
  const backoff = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (attempts - 1)) * (0.8 + random() * 0.4);
  return { kind: 'retry', attempts, retryAt: now + backoff, reason };
}

/** Whether the recipient must be known to be on WhatsApp before this message goes (one-to-one chats, conversation types). */
export function needsRecipientCheck(type: string, recipientPhone: string | null): recipientPhone is string {
  return !!recipientPhone && CHECKED_TYPES.has(type);
}

/** The stored answer to "is this contact on WhatsApp", or null when there is none fresh enough. */
export function knownOnWhatsApp(contact: { on_whatsapp: boolean | null; checked_at: string | null } | undefined, now: number): boolean | null {
  if (!contact?.checked_at || now - Date.parse(contact.checked_at) >= NUMBER_CHECK_TTL_MS) return null;
  return contact.on_whatsapp;
}

export const notOnWhatsApp = (phone: string) => `not_on_whatsapp: ${phone} is not on WhatsApp`;
