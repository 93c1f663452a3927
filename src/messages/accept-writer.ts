import type { Transaction } from 'kysely';
import { BatchQueue, type Settled } from '../db/batch-queue.js';
import type { Db, DialectName } from '../db/connect.js';
import { retryTransient } from '../db/errors.js';
import { GROUP_COMMIT_MAX } from '../db/group-commit.js';
import type { Database } from '../db/schema.js';
import { AppError, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { addQueued, insertMessages, insertStatuses, lockQueueCounts, touchChats } from './accept-repo.js';
import type { MessageRow } from './view.js';

/** An accepted message to store as queued. */
export interface QueuedMessage {
  row: MessageRow;
  /** A message of its own in its chat (the chat's latest message becomes it). */
  timeline: boolean;
  /** The device's queue limit (WUTS_MAX_QUEUED_PER_DEVICE). */
  limit: number;
}

export function queueFull(limit: number): AppError {
  return new AppError(429, 'queue_full', `this device already has ${limit} messages waiting to be sent`, { 'retry-after': '60' });
}

const writers = new WeakMap<Db, BatchQueue<QueuedMessage, void>>();

/**
 * Stores an accepted message, its `queued` status and its chat, in a transaction shared with
 * the messages accepted meanwhile (group commit: one commit, and one statement per kind of row,
 * for all of them); resolves once that transaction committed. A full queue refuses the message
 * alone (429); any other failure makes each message of the batch be written on its own, so only
 * the one that fails gets an error.
 */
export function storeQueued(db: Db, message: QueuedMessage): Promise<void> {
  return writerOf(db).push(message);
}

/** Messages stored and transactions shared so far on this database. */
export function storeQueuedStats(db: Db): { items: number; batches: number } {
  return { ...writerOf(db).stats };
}

function writerOf(db: Db): BatchQueue<QueuedMessage, void> {
  let writer = writers.get(db);
  if (!writer) {
    writer = new BatchQueue((messages) => writeBatch(db, messages), GROUP_COMMIT_MAX);
    writers.set(db, writer);
  }
  return writer;
}

async function writeBatch(db: Db, messages: QueuedMessage[]): Promise<Settled<void>[]> {
  try {
    return await writeRetrying(db, messages);
  } catch (err) {
    if (messages.length === 1) return [{ error: err }];
    const outcomes: Settled<void>[] = [];
    for (const message of messages) {
      try {
        outcomes.push(...(await writeRetrying(db, [message])));
      } catch (own) {
        outcomes.push({ error: own });
      }
    }
    return outcomes;
  }
}

function writeRetrying(db: Db, messages: QueuedMessage[]): Promise<Settled<void>[]> {
  return retryTransient(() => db.kysely.transaction().execute((trx) => writeTogether(trx, db.dialect, messages)));
}

async function writeTogether(trx: Transaction<Database>, dialect: DialectName, messages: QueuedMessage[]): Promise<Settled<void>[]> {
  const counts = await lockQueueCounts(trx, dialect, [...new Set(messages.map((m) => m.row.device_id))]);
  const outcomes: Settled<void>[] = [];
  const stored: MessageRow[] = [];
  const added = new Map<string, { tenantId: string; count: number }>();
  const chats = new Map<string, MessageRow>();
  for (const { row, timeline, limit } of messages) {
    const queued = counts.get(row.device_id);
    if (queued === undefined) {
      outcomes.push({ error: notFound('device') }); // deleted since it was read
      continue;
    }
    if (queued >= limit) {
      outcomes.push({ error: queueFull(limit) });
      continue;
    }
    counts.set(row.device_id, queued + 1);
    const device = added.get(row.device_id) ?? { tenantId: row.tenant_id, count: 0 };
    device.count++;
    added.set(row.device_id, device);
    stored.push(row);
    if (timeline) {
      const key = `${row.device_id}\n${row.chat_jid}`;
      const latest = chats.get(key);
      if (!latest || latest.id < row.id) chats.set(key, row);
    }
    outcomes.push({ value: undefined });
  }
  for (const [deviceId, { tenantId, count }] of added) await addQueued(trx, tenantId, deviceId, count);
  await insertMessages(trx, stored);
  await insertStatuses(
    trx,
    stored.map((row) => ({ id: newId(), tenant_id: row.tenant_id, message_id: row.id, status: 'queued', reason: null, created_at: row.created_at })),
  );
  await touchChats(
    trx,
    [...chats.values()].map((row) => ({
      id: newId(),
      tenant_id: row.tenant_id,
      device_id: row.device_id,
      jid: row.chat_jid,
      name: null,
      last_message_id: row.id,
      last_message_at: row.created_at,
      unread_count: 0,
      created_at: row.created_at,
      updated_at: row.created_at,
    })),
  );
  return outcomes;
}
