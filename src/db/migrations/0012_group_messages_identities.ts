import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * Group messages and identities. WhatsApp names a user by phone number or by LID; a device
 * learns which LID is which number (wa_identities) and keeps one chat and one contact per user,
 * keyed by the phone-number JID once known. Messages keep the LIDs of their sender and chat
 * peer, and a group message sent by the device keeps how many participants it went to and
 * their receipts (message_receipts).
 */
export function groupMessagesIdentitiesMigration(dialect: DialectName) {
  const { uuid, ts } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('wa_identities')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('device_id', uuid, (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('lid', 'text', (c) => c.notNull())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('wa_identities_lid').unique().on('wa_identities').columns(['device_id', 'lid']).execute();
      await db.schema.createIndex('wa_identities_phone').on('wa_identities').columns(['tenant_id', 'device_id', 'phone']).execute();

      await db.schema.alterTable('messages').addColumn('sender_lid', 'text').execute();
      await db.schema.alterTable('messages').addColumn('chat_lid', 'text').execute();
      // a group message sent by the device: the other participants when it was sent
      await db.schema.alterTable('messages').addColumn('recipient_count', 'integer').execute();
      await db.schema.alterTable('contacts').addColumn('lid', 'text').execute();

      await db.schema
        .createTable('message_receipts')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('message_id', uuid, (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('participant_jid', 'text', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('lid', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('delivered_at', ts)
        .addColumn('read_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('message_receipts_participant').unique().on('message_receipts').columns(['message_id', 'participant_jid']).execute();
      await db.schema.createIndex('message_receipts_message').on('message_receipts').columns(['tenant_id', 'message_id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('message_receipts').execute();
      await db.schema.alterTable('contacts').dropColumn('lid').execute();
      for (const c of ['recipient_count', 'chat_lid', 'sender_lid']) await db.schema.alterTable('messages').dropColumn(c).execute();
      await db.schema.dropTable('wa_identities').execute();
    },
  };
}
