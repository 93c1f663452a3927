import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

export function messagesMigration(dialect: DialectName) {
  const { uuid, ts, bool } = columnTypes(dialect);

  return {
    async up(db: Kysely<any>): Promise<void> {
      // Per-device pace of the outbound queue; null takes the operator's WUTS_SEND_INTERVAL_MS.
      await db.schema.alterTable('devices').addColumn('send_interval_ms', 'integer').execute();
      // How many of the device's messages are queued, kept with every change of a message to or
      // from `queued`: the queue limit is checked without counting rows.
      await db.schema
        .alterTable('devices')
        .addColumn('queued_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      // Every message a device sent or received. Outbound rows are the durable queue as well:
      // `status = 'queued'` rows of a device go out in id order.
      await db.schema
        .createTable('messages')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('device_id', uuid, (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('chat_jid', 'text', (c) => c.notNull())
        .addColumn('wa_id', 'text', (c) => c.notNull())
        .addColumn('from_me', bool, (c) => c.notNull())
        .addColumn('sender_jid', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('content_json', 'text', (c) => c.notNull())
        .addColumn('quoted_wa_id', 'text')
        .addColumn('quoted_message_id', uuid)
        .addColumn('target_wa_id', 'text')
        .addColumn('target_message_id', uuid)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', ts)
        .addColumn('expires_at', ts)
        .addColumn('created_by', uuid)
        .addColumn('wa_timestamp', ts)
        .addColumn('edited_at', ts)
        .addColumn('deleted_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // A phone keeps one message per key: the same WhatsApp id in a chat is stored once.
      await db.schema.createIndex('messages_wa_key').unique().on('messages').columns(['device_id', 'chat_jid', 'from_me', 'wa_id']).execute();
      // Every query names the tenant first: indexes lead with it, so the planner never prefers a
      // tenant-wide walk (SQLite did, on an index of tenant and id), and queue counts stay index-only.
      await db.schema.createIndex('messages_chat_history').on('messages').columns(['tenant_id', 'device_id', 'chat_jid', 'id']).execute();
      await db.schema
        .createIndex('messages_outbound_queue')
        .on('messages')
        .columns(['tenant_id', 'device_id', 'id'])
        .where(sql.ref('status'), '=', 'queued')
        .execute();

      await db.schema
        .createTable('message_statuses')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('message_id', uuid, (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('message_statuses_message').on('message_statuses').columns(['message_id', 'id']).execute();

      await db.schema
        .createTable('chats')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('device_id', uuid, (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('last_message_id', uuid, (c) => c.notNull())
        .addColumn('last_message_at', ts, (c) => c.notNull())
        .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('chats_device_jid').unique().on('chats').columns(['device_id', 'jid']).execute();
      await db.schema.createIndex('chats_by_activity').on('chats').columns(['device_id', 'last_message_id']).execute();

      await db.schema
        .createTable('contacts')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('device_id', uuid, (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('jid', 'text', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('name', 'text')
        .addColumn('on_whatsapp', bool)
        .addColumn('checked_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('contacts_device_jid').unique().on('contacts').columns(['device_id', 'jid']).execute();

      // Answers of requests sent with an Idempotency-Key, replayed for 24 h at least.
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('response_json', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_age').on('idempotency_keys').column('created_at').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['idempotency_keys', 'contacts', 'chats', 'message_statuses', 'messages']) await db.schema.dropTable(t).execute();
      await db.schema.alterTable('devices').dropColumn('queued_count').execute();
      await db.schema.alterTable('devices').dropColumn('send_interval_ms').execute();
    },
  };
}
