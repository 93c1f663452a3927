import { sql, type Kysely } from 'kysely';
import type { ContactsTable, Database, MessageStatus } from '../db/schema.js';
import { newId } from '../lib/ids.js';
import { PreparedQuery } from '../db/prepared.js';
import type { MessageRow } from './view.js';

type Db = Kysely<Database>;

/** Every column of a message row, in the order the prepared insert binds them. */
export const MESSAGE_COLUMNS = [
  'id',
  'tenant_id',
  'device_id',
  'chat_jid',
  'wa_id',
  'from_me',
  'sender_jid',
  'type',
  'content_json',
  'quoted_wa_id',
  'quoted_message_id',
  'target_wa_id',
  'target_message_id',
  'status',
  'reason',
  'attempts',
  'next_attempt_at',
  'expires_at',
  'created_by',
  'wa_timestamp',
  'edited_at',
  'deleted_at',
  'created_at',
  'updated_at',
  'sender_lid',
  'chat_lid',
  'recipient_count',
] as const satisfies readonly (keyof MessageRow)[];
// a column added to the table and not to the list above fails to compile here
const everyColumn: Record<Exclude<keyof MessageRow, (typeof MESSAGE_COLUMNS)[number]>, never> = {};
void everyColumn;

const insertMessageQuery = new PreparedQuery(MESSAGE_COLUMNS, (db, p) => db.insertInto('messages').values(p));

export async function insertMessage(db: Db, tenantId: string, row: Omit<MessageRow, 'tenant_id'>): Promise<void> {
  const values: Record<string, unknown> = { ...row, tenant_id: tenantId };
  for (const column of MESSAGE_COLUMNS) values[column] ??= column === 'attempts' ? 0 : null;
  await insertMessageQuery.execute(db, values as Record<(typeof MESSAGE_COLUMNS)[number], unknown>);
}

/** Inserts unless the same WhatsApp key is stored already; answers whether it inserted. */
export async function insertMessageOnce(db: Db, tenantId: string, row: Omit<MessageRow, 'tenant_id'>): Promise<boolean> {
  const result = await db
    .insertInto('messages')
    .values({ ...row, tenant_id: tenantId })
    .onConflict((oc) => oc.columns(['device_id', 'chat_jid', 'from_me', 'wa_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findMessage(db: Db, tenantId: string, id: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** The look-up by WhatsApp key, without and with the direction. */
const byWaIdQuery = (withDirection: boolean) =>
  new PreparedQuery<string, MessageRow>(['tenantId', 'deviceId', 'chatJid', 'waId', ...(withDirection ? ['fromMe'] : [])], (db, p) => {
    let q = db
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', p.tenantId!)
      .where('device_id', '=', p.deviceId!)
      .where('chat_jid', '=', p.chatJid!)
      .where('wa_id', '=', p.waId!);
    if (withDirection) q = q.where('from_me', '=', p.fromMe!);
    return q.orderBy('id').limit(1);
  });
const byWaId = byWaIdQuery(false);
const byWaIdAndDirection = byWaIdQuery(true);

export async function findByWaId(db: Db, tenantId: string, deviceId: string, chatJid: string, waId: string, fromMe?: boolean): Promise<MessageRow | undefined> {
  if (fromMe === undefined) return byWaId.first(db, { tenantId, deviceId, chatJid, waId });
  return byWaIdAndDirection.first(db, { tenantId, deviceId, chatJid, waId, fromMe });
}

export async function updateMessage(db: Db, tenantId: string, id: string, set: Partial<Omit<MessageRow, 'id' | 'tenant_id'>>): Promise<void> {
  await db.updateTable('messages').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Moves a message from one status to another only if it is still in `from` (answers whether it did). */
export async function transitionMessage(
  db: Db,
  tenantId: string,
  id: string,
  from: MessageStatus[],
  set: Partial<Omit<MessageRow, 'id' | 'tenant_id'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set(set)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export const STATUS_COLUMNS = ['id', 'tenant_id', 'message_id', 'status', 'reason', 'created_at'] as const;
const insertStatusQuery = new PreparedQuery(STATUS_COLUMNS, (db, p) => db.insertInto('message_statuses').values(p));

export async function addStatus(db: Db, tenantId: string, messageId: string, status: MessageStatus, reason: string | null, at: string): Promise<void> {
  await insertStatusQuery.execute(db, { id: newId(), tenant_id: tenantId, message_id: messageId, status, reason, created_at: at });
}

export async function statusHistory(db: Db, tenantId: string, messageId: string) {
  return db
    .selectFrom('message_statuses')
    .select(['status', 'reason', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('message_id', '=', messageId)
    .orderBy('id')
    .limit(100)
    .execute();
}

/** Takes a place in the device's queue; false when it holds `limit` messages already (atomic on both databases). */
const reserveQueueSlotQuery = new PreparedQuery(['tenantId', 'deviceId', 'limit'], (db, p) =>
  db
    .updateTable('devices')
    .set((eb) => ({ queued_count: eb('queued_count', '+', 1) }))
    .where('tenant_id', '=', p.tenantId)
    .where('id', '=', p.deviceId)
    .where('queued_count', '<', p.limit),
);

export async function reserveQueueSlot(db: Db, tenantId: string, deviceId: string, limit: number): Promise<boolean> {
  return (await reserveQueueSlotQuery.affected(db, { tenantId, deviceId, limit })) > 0;
}

/** The first `count` queued messages of the device, in sending order. */
const queuedHeadsQuery = new PreparedQuery(['tenantId', 'deviceId', 'count'], (db, p) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('tenant_id', '=', p.tenantId)
    .where('device_id', '=', p.deviceId)
    .where('status', '=', 'queued')
    .orderBy('id')
    .limit(p.count),
);

export async function queuedHeads(db: Db, tenantId: string, deviceId: string, count: number): Promise<MessageRow[]> {
  return queuedHeadsQuery.rows(db, { tenantId, deviceId, count });
}

export const CHAT_COLUMNS = [
  'id',
  'tenant_id',
  'device_id',
  'jid',
  'name',
  'last_message_id',
  'last_message_at',
  'unread_count',
  'created_at',
  'updated_at',
] as const;
type ChatPlaceholders = Record<(typeof CHAT_COLUMNS)[number], never>;

/** The chats' upsert: the latest message always; the unread count and the name as `unread` and `named` say. */
export function upsertChats(db: Db, rows: ChatPlaceholders | ChatPlaceholders[], form: { unread: boolean; named: boolean }) {
  return db
    .insertInto('chats')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['device_id', 'jid']).doUpdateSet((eb) => ({
        last_message_id: eb.ref('excluded.last_message_id'),
        last_message_at: eb.ref('excluded.last_message_at'),
        unread_count: form.unread ? sql<number>`chats.unread_count + 1` : eb.ref('chats.unread_count'),
        name: form.named ? eb.ref('excluded.name') : eb.ref('chats.name'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    );
}

/** The chat upsert in its four forms: whether the message is unread, whether it names the chat. */
const touchChatQueries = new Map(
  [false, true].flatMap((unread) =>
    [false, true].map((named) => [`${unread}/${named}`, new PreparedQuery(CHAT_COLUMNS, (db, p) => upsertChats(db, p, { unread, named }))]),
  ),
);

/** Records a message as the chat's latest; creates the chat on its first message. */
export async function touchChat(
  db: Db,
  tenantId: string,
  deviceId: string,
  chat: { jid: string; messageId: string; at: string; unread: boolean; name?: string | null | undefined },
): Promise<void> {
  await touchChatQueries.get(`${chat.unread}/${Boolean(chat.name)}`)!.execute(db, {
    id: newId(),
    tenant_id: tenantId,
    device_id: deviceId,
    jid: chat.jid,
    name: chat.name ?? null,
    last_message_id: chat.messageId,
    last_message_at: chat.at,
    unread_count: chat.unread ? 1 : 0,
    created_at: chat.at,
    updated_at: chat.at,
  });
}

export async function setChatName(db: Db, tenantId: string, deviceId: string, jid: string, name: string, at: string): Promise<void> {
  await db
    .updateTable('chats')
    .set({ name, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('jid', '=', jid)
    .where((eb) => eb.or([eb('name', 'is', null), eb('name', '!=', name)]))
    .execute();
}

export async function setChatUnread(db: Db, tenantId: string, deviceId: string, jid: string, unread: number, at: string): Promise<void> {
  await db
    .updateTable('chats')
    .set({ unread_count: unread, updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('jid', '=', jid)
    .execute();
}

/** Chats, most recently active first; the cursor is the last message id of the previous page's last chat. */
export async function listChats(db: Db, tenantId: string, deviceId: string, afterLastMessageId: string | undefined, limit: number) {
  let q = db.selectFrom('chats').selectAll().where('tenant_id', '=', tenantId).where('device_id', '=', deviceId);
  if (afterLastMessageId) q = q.where('last_message_id', '<', afterLastMessageId);
  return q
    .orderBy('last_message_id', 'desc')
    .limit(limit + 1)
    .execute();
}

export async function messagesByIds(db: Db, tenantId: string, ids: string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('messages').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

/** Operations applied to other messages (edits, deletes) are not part of a chat's timeline. */
const NOT_IN_TIMELINE = ['edit', 'delete'];

export async function chatHistory(
  db: Db,
  tenantId: string,
  deviceId: string,
  chatJid: string,
  cursor: string | undefined,
  limit: number,
  direction: 'older' | 'newer',
): Promise<MessageRow[]> {
  let q = db
    .selectFrom('messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('chat_jid', '=', chatJid)
    .where('type', 'not in', NOT_IN_TIMELINE);
  if (cursor) q = q.where('id', direction === 'older' ? '<' : '>', cursor);
  return q
    .orderBy('id', direction === 'older' ? 'desc' : 'asc')
    .limit(limit + 1)
    .execute();
}

/** Rows that are not messages of their own for unread counts and read receipts. */
const NOT_UNREAD = ['reaction', 'poll_vote', 'edit', 'delete'];

export async function unreadInbound(db: Db, tenantId: string, deviceId: string, chatJid: string, ids: string[] | undefined): Promise<MessageRow[]> {
  let q = db
    .selectFrom('messages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('chat_jid', '=', chatJid)
    .where('from_me', '=', false)
    .where('status', '=', 'received')
    .where('type', 'not in', NOT_UNREAD);
  if (ids) q = q.where('id', 'in', ids);
  return q.orderBy('id').limit(1000).execute();
}

export async function countUnread(db: Db, tenantId: string, deviceId: string, chatJid: string): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('chat_jid', '=', chatJid)
    .where('from_me', '=', false)
    .where('status', '=', 'received')
    .where('type', 'not in', NOT_UNREAD)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function markInboundRead(db: Db, tenantId: string, ids: string[], at: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('messages')
    .set({ status: 'read', updated_at: at })
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('status', '=', 'received')
    .execute();
}

export async function upsertContact(
  db: Db,
  tenantId: string,
  deviceId: string,
  contact: { jid: string; phone: string | null; lid?: string | null; name?: string | null; onWhatsApp?: boolean; at: string },
): Promise<void> {
  const checked = contact.onWhatsApp !== undefined;
  await db
    .insertInto('contacts')
    .values({
      id: newId(),
      tenant_id: tenantId,
      device_id: deviceId,
      jid: contact.jid,
      phone: contact.phone,
      lid: contact.lid ?? null,
      name: contact.name ?? null,
      on_whatsapp: checked ? contact.onWhatsApp! : null,
      checked_at: checked ? contact.at : null,
      created_at: contact.at,
      updated_at: contact.at,
    })
    .onConflict((oc) =>
      oc.columns(['device_id', 'jid']).doUpdateSet((eb) => ({
        name: contact.name ? eb.ref('excluded.name') : eb.ref('contacts.name'),
        lid: contact.lid ? eb.ref('excluded.lid') : eb.ref('contacts.lid'),
        on_whatsapp: checked ? eb.ref('excluded.on_whatsapp') : eb.ref('contacts.on_whatsapp'),
        checked_at: checked ? eb.ref('excluded.checked_at') : eb.ref('contacts.checked_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export async function findContact(db: Db, tenantId: string, deviceId: string, jid: string): Promise<ContactsTable | undefined> {
  return db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).where('jid', '=', jid).executeTakeFirst();
}

export async function listContacts(db: Db, tenantId: string, deviceId: string, afterId: string | undefined, limit: number): Promise<ContactsTable[]> {
  let q = db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenantId).where('device_id', '=', deviceId);
  if (afterId) q = q.where('id', '>', afterId);
  return q
    .orderBy('id')
    .limit(limit + 1)
    .execute();
}
