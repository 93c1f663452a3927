import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import { PreparedMultiInsert, PreparedQuery } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import { CHAT_COLUMNS, MESSAGE_COLUMNS, STATUS_COLUMNS, upsertChats } from './repo.js';
import type { MessageRow } from './view.js';

/**
 * The writes of a batch of accepted messages (group commit): one statement per kind of row for
 * the whole batch, and one queue count update per device.
 */

type Db = Kysely<Database>;

const queueCountQuery = new PreparedQuery(['id'], (db, p) => db.selectFrom('devices').select(['id', 'queued_count']).where('id', '=', p.id));
const lockedQueueCountQuery = new PreparedQuery(['id'], (db, p) =>
  db.selectFrom('devices').select(['id', 'queued_count']).where('id', '=', p.id).forNoKeyUpdate(),
);

/**
 * The devices' queue counts, locked until the transaction ends (PostgreSQL; SQLite's writer is
 * alone). No key update: rows that only reference the device (inbound messages) are not held up.
 */
export async function lockQueueCounts(db: Db, dialect: DialectName, deviceIds: readonly string[]): Promise<Map<string, number>> {
  let rows: { id: string; queued_count: number }[];
  if (deviceIds.length === 1) {
    rows = await (dialect === 'postgres' ? lockedQueueCountQuery : queueCountQuery).rows(db, { id: deviceIds[0] });
  } else {
    // in id order: two batches (on two nodes) locking some of the same devices wait instead of deadlocking
    let query = db.selectFrom('devices').select(['id', 'queued_count']).where('id', 'in', deviceIds).orderBy('id');
    if (dialect === 'postgres') query = query.forNoKeyUpdate();
    rows = await query.execute();
  }
  return new Map(rows.map((r) => [r.id, Number(r.queued_count)]));
}

const addQueuedQuery = new PreparedQuery(['tenantId', 'deviceId', 'count'], (db, p) =>
  db
    .updateTable('devices')
    .set((eb) => ({ queued_count: eb('queued_count', '+', p.count) }))
    .where('tenant_id', '=', p.tenantId)
    .where('id', '=', p.deviceId),
);

export async function addQueued(db: Db, tenantId: string, deviceId: string, count: number): Promise<void> {
  await addQueuedQuery.execute(db, { tenantId, deviceId, count });
}

const insertMessagesQuery = new PreparedMultiInsert(MESSAGE_COLUMNS, (db, rows) => db.insertInto('messages').values(rows));

export async function insertMessages(db: Db, rows: readonly MessageRow[]): Promise<void> {
  await insertMessagesQuery.execute(db, rows);
}

const insertStatusesQuery = new PreparedMultiInsert(STATUS_COLUMNS, (db, rows) => db.insertInto('message_statuses').values(rows));

export async function insertStatuses(db: Db, rows: readonly Record<(typeof STATUS_COLUMNS)[number], unknown>[]): Promise<void> {
  await insertStatusesQuery.execute(db, rows);
}

const touchChatsQuery = new PreparedMultiInsert(CHAT_COLUMNS, (db, rows) => upsertChats(db, rows, { unread: false, named: false }));

/** Each chat's latest message (sent: read), creating the chats that are new; one row per chat. */
export async function touchChats(db: Db, rows: readonly Record<(typeof CHAT_COLUMNS)[number], unknown>[]): Promise<void> {
  await touchChatsQuery.execute(db, rows);
}
