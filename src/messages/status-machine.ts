import type { MessageStatus } from '../db/schema.js';

/** An outbound message's progress; failed and cancelled end it from queued (or failed from sent). */
const PROGRESS: readonly MessageStatus[] = ['queued', 'sent', 'delivered', 'read'];

/**
 * The statuses a message passes through from `from` to `to`, in order, each recorded with its
 * own event (a read receipt for a message still queued is sent, delivered, read). Empty when
 * `to` is not a step forward: an older receipt, or a message that failed, was cancelled or is inbound.
 */
export function stepsForward(from: MessageStatus, to: MessageStatus): MessageStatus[] {
  const a = PROGRESS.indexOf(from);
  const b = PROGRESS.indexOf(to);
  if (a < 0 || b <= a) return [];
  return PROGRESS.slice(a + 1, b + 1);
}
