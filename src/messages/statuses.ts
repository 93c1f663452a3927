import type { Transaction } from 'kysely';
import type { Deps } from '../deps.js';
import type { Database, MessageStatus } from '../db/schema.js';
import { withOutbox, type Emit } from '../events/outbox.js';
import { nowIso } from '../lib/time.js';
import { retryTransient } from '../db/errors.js';
import type { DeliveryStatus, SendResult, StatusUpdate } from '../whatsapp/messages.js';
import { canonicalJid } from './identities.js';
import { isGroupJid } from './jids.js';
import { releaseQueueSlots } from './queue-slots-repo.js';
import { lockedMessage, receiptCounts } from './receipt-repo.js';
import * as repo from './repo.js';
import { stepsForward } from './status-machine.js';
import { parseContent, toApiMessage, type MessageRow } from './view.js';

/**
 * Moves an outbound message forward to `target`, recording every step on the way (a read
 * receipt for a message still queued records sent, delivered and read), each with its event.
 * A message leaving the queue gives its place back, or tells `leftQueue`, which gives the
 * places back later in the transaction.
 */
export async function advance(
  trx: Transaction<Database>,
  emit: Emit,
  row: MessageRow,
  target: Exclude<DeliveryStatus, 'failed'>,
  leftQueue?: (deviceId: string) => void,
): Promise<void> {
  // a receipt and the sender's ack can race: when the row moved meanwhile, read it again
  for (let tries = 0; tries < 3; tries++) {
    const steps = stepsForward(row.status, target);
    if (!steps.length) return;
    const now = nowIso();
    if (await repo.transitionMessage(trx, row.tenant_id, row.id, [row.status], { status: target, reason: null, next_attempt_at: null, updated_at: now })) {
      if (row.status === 'queued') {
        if (leftQueue) leftQueue(row.device_id);
        else await releaseQueueSlots(trx, row.tenant_id, row.device_id, 1);
      }
      await recordSteps(trx, emit, row, steps, now);
      return;
    }
    const fresh = await repo.findMessage(trx, row.tenant_id, row.id);
    if (!fresh) return;
    row = fresh;
  }
}

async function recordSteps(trx: Transaction<Database>, emit: Emit, row: MessageRow, steps: MessageStatus[], now: string): Promise<void> {
  let current = row;
  for (const status of steps) {
    await repo.addStatus(trx, row.tenant_id, row.id, status, null, now);
    const previous = current.status;
    current = { ...current, status, reason: null, next_attempt_at: null, updated_at: now };
    if (status === 'sent') {
      await applyOwnOperation(trx, current, now);
      await emit({ tenantId: row.tenant_id, deviceId: row.device_id, type: 'message.sent', data: { message: toApiMessage(current) } });
    }
    await emit({
      tenantId: row.tenant_id,
      deviceId: row.device_id,
      type: 'message.status',
      data: { message_id: row.id, wa_id: row.wa_id, chat_jid: row.chat_jid, status, previous_status: previous, reason: null },
    });
  }
}

/** Once an edit or a delete of ours has left, the stored target shows it. */
async function applyOwnOperation(trx: Transaction<Database>, row: MessageRow, now: string): Promise<void> {
  if (!row.target_message_id || (row.type !== 'edit' && row.type !== 'delete')) return;
  const target = await repo.findMessage(trx, row.tenant_id, row.target_message_id);
  if (!target) return;
  if (row.type === 'delete') {
    await repo.updateMessage(trx, row.tenant_id, target.id, { deleted_at: now, content_json: JSON.stringify({ type: target.type }), updated_at: now });
    return;
  }
  const edit = parseContent(row);
  const content = parseContent(target);
  if (edit.type === 'edit' && content.type === 'text') {
    await repo.updateMessage(trx, row.tenant_id, target.id, { content_json: JSON.stringify({ ...content, text: edit.text }), edited_at: now, updated_at: now });
  }
}

/**
 * WhatsApp's server acknowledged these messages of one tenant: they are sent, in one
 * transaction. What each send learned is kept: the recipient's LID, a group's subject and how
 * many participants it went to. Every message is locked before any is changed, and the
 * device's row (its queue count) last: a receipt's or a send's transaction takes a message's
 * row before the device's, and so must this one, or they could wait on each other; the
 * device's row, which every accepted message updates too, is then held only briefly.
 */
export async function recordSentMany(deps: Deps, tenantId: string, acked: Array<{ messageId: string; result: SendResult }>): Promise<void> {
  await withOutbox(deps, async (trx, emit) => {
    const rows = [];
    for (const { messageId } of acked) rows.push(await lockedMessage(trx, deps.db.dialect, tenantId, messageId));
    const left = new Map<string, number>();
    const leftQueue = (deviceId: string) => left.set(deviceId, (left.get(deviceId) ?? 0) + 1);
    for (const [i, row] of rows.entries()) if (row) await sentIn(trx, emit, tenantId, row, acked[i]!.result, leftQueue);
    for (const [deviceId, count] of left) await releaseQueueSlots(trx, tenantId, deviceId, count);
  });
}

async function sentIn(
  trx: Transaction<Database>,
  emit: Emit,
  tenantId: string,
  row: MessageRow,
  result: SendResult,
  leftQueue: (deviceId: string) => void,
): Promise<void> {
  const group = isGroupJid(row.chat_jid);
  const learned = {
    ...(group && result.recipients !== undefined ? { recipient_count: result.recipients } : {}),
    ...(!group && result.recipientLid && !row.chat_lid ? { chat_lid: result.recipientLid } : {}),
  };
  if (Object.keys(learned).length) {
    await repo.updateMessage(trx, tenantId, row.id, learned);
    row = { ...row, ...learned };
  }
  if (group && result.chatName) await repo.setChatName(trx, tenantId, row.device_id, row.chat_jid, result.chatName, nowIso());
  await advance(trx, emit, row, 'sent', leftQueue);
  // participants' receipts may have come before the count was known
  if (group) await settleGroupStatus(trx, emit, row.tenant_id, row.id);
}

/** A group message is delivered (read) once every participant it went to has it (read it). */
export async function settleGroupStatus(trx: Transaction<Database>, emit: Emit, tenantId: string, messageId: string): Promise<void> {
  const row = await repo.findMessage(trx, tenantId, messageId);
  const expected = row?.recipient_count;
  if (!row || !expected || expected <= 0) return;
  const counts = await receiptCounts(trx, tenantId, messageId);
  if (counts.read >= expected) await advance(trx, emit, row, 'read');
  else if (counts.delivered >= expected) await advance(trx, emit, row, 'delivered');
}

/** A receipt from WhatsApp about a message this device sent. */
export async function recordReceipt(deps: Deps, tenantId: string, deviceId: string, update: StatusUpdate): Promise<void> {
  // a deadlock with an accept batch or the sender (other nodes' too) ends one of them: this one runs again
  await retryTransient(() =>
    withOutbox(deps, async (trx, emit) => {
      const chatJid = await canonicalJid(trx, tenantId, deviceId, update.chatJid);
      const row = await repo.findByWaId(trx, tenantId, deviceId, chatJid, update.waId, true);
      if (!row) return;
      // a group's summary status moves with its participants' receipts (group-receipts.ts)
      if (isGroupJid(chatJid) && update.status !== 'failed') return;
      if (update.status === 'failed') await fail(trx, emit, row, ['queued', 'sent'], update.reason ?? 'WhatsApp reported an error for this message');
      else await advance(trx, emit, row, update.status);
    }),
  );
}

async function fail(
  trx: Transaction<Database>,
  emit: Emit,
  row: MessageRow,
  from: MessageStatus[],
  reason: string,
  status: 'failed' | 'cancelled' = 'failed',
): Promise<boolean> {
  const now = nowIso();
  const set = { status, reason, next_attempt_at: null, updated_at: now };
  // queued first, on its own: a message leaving the queue gives its place back
  let previous: MessageStatus | undefined;
  if (from.includes('queued') && (await repo.transitionMessage(trx, row.tenant_id, row.id, ['queued'], set))) {
    previous = 'queued';
    await releaseQueueSlots(trx, row.tenant_id, row.device_id, 1);
  } else {
    const others = from.filter((s) => s !== 'queued');
    if (others.length && (await repo.transitionMessage(trx, row.tenant_id, row.id, others, set))) previous = row.status === 'queued' ? 'sent' : row.status;
  }
  if (!previous) return false;
  await repo.addStatus(trx, row.tenant_id, row.id, status, reason, now);
  await emit({
    tenantId: row.tenant_id,
    deviceId: row.device_id,
    type: 'message.status',
    data: { message_id: row.id, wa_id: row.wa_id, chat_jid: row.chat_jid, status, previous_status: previous, reason },
  });
  return true;
}

/** A queued message failed for good (not on WhatsApp, TTL expired, device logged out...). */
export async function recordFailed(deps: Deps, tenantId: string, messageId: string, reason: string): Promise<void> {
  await withOutbox(deps, async (trx, emit) => {
    const row = await repo.findMessage(trx, tenantId, messageId);
    if (row) await fail(trx, emit, row, ['queued'], reason);
  });
}

/** Cancels a message still queued; answers false when it already left or finished. */
export async function cancelQueued(deps: Deps, tenantId: string, messageId: string, reason: string): Promise<MessageRow | undefined> {
  return withOutbox(deps, async (trx, emit) => {
    const row = await repo.findMessage(trx, tenantId, messageId);
    if (!row || !(await fail(trx, emit, row, ['queued'], reason, 'cancelled'))) return undefined;
    return repo.findMessage(trx, tenantId, messageId);
  });
}

/** A transient failure: try again at `nextAttemptAt`, keeping the queue's order. */
export async function recordRetry(deps: Deps, tenantId: string, messageId: string, attempts: number, nextAttemptAt: string, reason: string): Promise<void> {
  await repo.transitionMessage(deps.db.kysely, tenantId, messageId, ['queued'], { attempts, next_attempt_at: nextAttemptAt, reason, updated_at: nowIso() });
}
