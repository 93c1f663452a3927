import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { newId } from '../lib/ids.js';
import { PreparedQuery } from '../db/prepared.js';

type Db = Kysely<Database>;

/** Records that `lid` is `phone` for the device (a LID stands for one number; a later answer replaces an earlier one). */
export async function upsertIdentity(db: Db, tenantId: string, deviceId: string, lid: string, phone: string, at: string): Promise<void> {
  await db
    .insertInto('wa_identities')
    .values({ id: newId(), tenant_id: tenantId, device_id: deviceId, lid, phone, created_at: at, updated_at: at })
    .onConflict((oc) => oc.columns(['device_id', 'lid']).doUpdateSet((eb) => ({ phone: eb.ref('excluded.phone'), updated_at: eb.ref('excluded.updated_at') })))
    .execute();
}

const phoneOfLidQuery = new PreparedQuery(['tenantId', 'deviceId', 'lid'], (db, p) =>
  db.selectFrom('wa_identities').select('phone').where('tenant_id', '=', p.tenantId).where('device_id', '=', p.deviceId).where('lid', '=', p.lid),
);

export async function phoneOfLid(db: Db, tenantId: string, deviceId: string, lid: string): Promise<string | null> {
  return (await phoneOfLidQuery.first(db, { tenantId, deviceId, lid }))?.phone ?? null;
}

const lidOfPhoneQuery = new PreparedQuery(['tenantId', 'deviceId', 'phone'], (db, p) =>
  db
    .selectFrom('wa_identities')
    .select('lid')
    .where('tenant_id', '=', p.tenantId)
    .where('device_id', '=', p.deviceId)
    .where('phone', '=', p.phone)
    .orderBy('updated_at', 'desc')
    .limit(1),
);

export async function lidOfPhone(db: Db, tenantId: string, deviceId: string, phone: string): Promise<string | null> {
  return (await lidOfPhoneQuery.first(db, { tenantId, deviceId, phone }))?.lid ?? null;
}

/** The LIDs of phone numbers the device knows, by phone. */
export async function lidsOfPhones(db: Db, tenantId: string, deviceId: string, phones: string[]): Promise<Map<string, string>> {
  if (phones.length === 0) return new Map();
  const rows = await db
    .selectFrom('wa_identities')
    .select(['phone', 'lid'])
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('phone', 'in', phones)
    .orderBy('updated_at')
    .execute();
  return new Map(rows.map((r) => [r.phone, r.lid]));
}

/**
 * A user first known by LID is now known by phone number too: its chat, contact, messages and
 * receipts move to the phone-number JID (one chat and one contact per user). Runs in the
 * caller's transaction.
 */
export async function mergeLidIntoPhone(db: Db, tenantId: string, deviceId: string, lid: string, pnJid: string, phone: string, at: string): Promise<void> {
  await mergeChat(db, tenantId, deviceId, lid, pnJid, at);
  await mergeContact(db, tenantId, deviceId, lid, pnJid, phone, at);
  // a message stored under both keys (a redelivery keyed the other way) keeps its phone-number copy
  await db
    .updateTable('messages as m')
    .set({ chat_jid: pnJid, chat_lid: lid })
    .where('m.tenant_id', '=', tenantId)
    .where('m.device_id', '=', deviceId)
    .where('m.chat_jid', '=', lid)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('messages as o')
            .select('o.id')
            .where('o.device_id', '=', deviceId)
            .where('o.chat_jid', '=', pnJid)
            .whereRef('o.from_me', '=', 'm.from_me')
            .whereRef('o.wa_id', '=', 'm.wa_id'),
        ),
      ),
    )
    .execute();
  await db
    .updateTable('messages')
    .set({ chat_lid: lid })
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('chat_jid', '=', pnJid)
    .where('chat_lid', 'is', null)
    .execute();
  await db
    .updateTable('messages')
    .set({ sender_jid: pnJid, sender_lid: lid })
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('sender_jid', 'in', [lid, pnJid])
    .execute();
  await db
    .updateTable('message_receipts as r')
    .set({ participant_jid: pnJid, phone, lid, updated_at: at })
    .where('r.tenant_id', '=', tenantId)
    .where('r.participant_jid', '=', lid)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('message_receipts as o').select('o.id').whereRef('o.message_id', '=', 'r.message_id').where('o.participant_jid', '=', pnJid))),
    )
    .execute();
}

async function mergeChat(db: Db, tenantId: string, deviceId: string, lid: string, pnJid: string, at: string): Promise<void> {
  const chats = await db
    .selectFrom('chats')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('jid', 'in', [lid, pnJid])
    .execute();
  const byLid = chats.find((c) => c.jid === lid);
  const byPhone = chats.find((c) => c.jid === pnJid);
  if (!byLid) return;
  if (!byPhone) {
    await db.updateTable('chats').set({ jid: pnJid, updated_at: at }).where('tenant_id', '=', tenantId).where('id', '=', byLid.id).execute();
    return;
  }
  const latest = byLid.last_message_id > byPhone.last_message_id ? byLid : byPhone;
  await db
    .updateTable('chats')
    .set({
      last_message_id: latest.last_message_id,
      last_message_at: latest.last_message_at,
      unread_count: Number(byPhone.unread_count) + Number(byLid.unread_count),
      name: byPhone.name ?? byLid.name,
      created_at: byLid.created_at < byPhone.created_at ? byLid.created_at : byPhone.created_at,
      updated_at: at,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', byPhone.id)
    .execute();
  await db.deleteFrom('chats').where('tenant_id', '=', tenantId).where('id', '=', byLid.id).execute();
}

async function mergeContact(db: Db, tenantId: string, deviceId: string, lid: string, pnJid: string, phone: string, at: string): Promise<void> {
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('jid', 'in', [lid, pnJid])
    .execute();
  const byLid = contacts.find((c) => c.jid === lid);
  const byPhone = contacts.find((c) => c.jid === pnJid);
  if (byLid && !byPhone) {
    await db.updateTable('contacts').set({ jid: pnJid, phone, lid, updated_at: at }).where('tenant_id', '=', tenantId).where('id', '=', byLid.id).execute();
    return;
  }
  if (byPhone) {
    await db
      .updateTable('contacts')
      .set({
        lid,
        name: byPhone.name ?? byLid?.name ?? null,
        created_at: byLid && byLid.created_at < byPhone.created_at ? byLid.created_at : byPhone.created_at,
        updated_at: at,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', byPhone.id)
      .execute();
    if (byLid) await db.deleteFrom('contacts').where('tenant_id', '=', tenantId).where('id', '=', byLid.id).execute();
  }
}
