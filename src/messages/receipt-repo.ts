import type { Kysely } from 'kysely';
import type { Database, MessageReceiptsTable } from '../db/schema.js';
import { PreparedQuery } from '../db/prepared.js';
import { newId } from '../lib/ids.js';
import type { MessageRow } from './view.js';

type Db = Kysely<Database>;

/**
 * Serialises the writes that settle a group message's status (its sender's ack, which knows
 * the participant count, and the participants' receipts): without it each could miss the
 * other's uncommitted half. PostgreSQL: a row lock; SQLite runs one write transaction at a time.
 */
export async function lockMessage(db: Db, dialect: 'sqlite' | 'postgres', tenantId: string, messageId: string): Promise<void> {
  if (dialect !== 'postgres') return;
  await db.selectFrom('messages').select('id').where('tenant_id', '=', tenantId).where('id', '=', messageId).forUpdate().executeTakeFirst();
}

/** The message, locked on PostgreSQL until the transaction ends (lockMessage and the read in one statement). */
const messageQuery = new PreparedQuery(['tenantId', 'id'], (db, p) =>
  db.selectFrom('messages').selectAll().where('tenant_id', '=', p.tenantId).where('id', '=', p.id),
);
const lockedMessageQuery = new PreparedQuery(['tenantId', 'id'], (db, p) =>
  db.selectFrom('messages').selectAll().where('tenant_id', '=', p.tenantId).where('id', '=', p.id).forUpdate(),
);

export async function lockedMessage(db: Db, dialect: 'sqlite' | 'postgres', tenantId: string, messageId: string): Promise<MessageRow | undefined> {
  return (dialect === 'postgres' ? lockedMessageQuery : messageQuery).first(db, { tenantId, id: messageId });
}

/** A participant's receipt for a group message; a read is kept over a later delivery. */
export async function upsertReceipt(
  db: Db,
  tenantId: string,
  messageId: string,
  r: { participantJid: string; phone: string | null; lid: string | null; status: 'delivered' | 'read'; at: string },
): Promise<void> {
  const read = r.status === 'read';
  await db
    .insertInto('message_receipts')
    .values({
      id: newId(),
      tenant_id: tenantId,
      message_id: messageId,
      participant_jid: r.participantJid,
      phone: r.phone,
      lid: r.lid,
      status: r.status,
      delivered_at: read ? null : r.at,
      read_at: read ? r.at : null,
      updated_at: r.at,
    })
    .onConflict((oc) =>
      oc.columns(['message_id', 'participant_jid']).doUpdateSet((eb) => ({
        status: read ? eb.val('read') : eb.ref('message_receipts.status'),
        delivered_at: read ? eb.ref('message_receipts.delivered_at') : eb.fn.coalesce('message_receipts.delivered_at', eb.ref('excluded.delivered_at')),
        read_at: read ? eb.fn.coalesce('message_receipts.read_at', eb.ref('excluded.read_at')) : eb.ref('message_receipts.read_at'),
        phone: eb.fn.coalesce('excluded.phone', 'message_receipts.phone'),
        lid: eb.fn.coalesce('excluded.lid', 'message_receipts.lid'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export async function receiptsOf(db: Db, tenantId: string, messageId: string): Promise<MessageReceiptsTable[]> {
  return db
    .selectFrom('message_receipts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('message_id', '=', messageId)
    .orderBy('id')
    .limit(1100)
    .execute();
}

/** How many participants have the message (delivered or read) and how many read it. */
export async function receiptCounts(db: Db, tenantId: string, messageId: string): Promise<{ delivered: number; read: number }> {
  const rows = await db
    .selectFrom('message_receipts')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('message_id', '=', messageId)
    .groupBy('status')
    .execute();
  const read = Number(rows.find((r) => r.status === 'read')?.n ?? 0);
  return { delivered: read + Number(rows.find((r) => r.status === 'delivered')?.n ?? 0), read };
}
