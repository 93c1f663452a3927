import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

export function devicesMigration(dialect: DialectName) {
  const { pg, uuid, ts, bool } = columnTypes(dialect);

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('devices').addColumn('reason', 'text').execute();
      await db.schema.alterTable('devices').addColumn('phone', 'text').execute();
      await db.schema.alterTable('devices').addColumn('jid', 'text').execute();
      await db.schema.alterTable('devices').addColumn('lid', 'text').execute();
      // Whether the device should be connected: set by connect, cleared by disconnect and logout.
      await db.schema
        .alterTable('devices')
        .addColumn('auto_connect', bool, (c) => c.notNull().defaultTo(pg ? false : 0))
        .execute();
      await db.schema.alterTable('devices').addColumn('qr', 'text').execute();
      await db.schema.alterTable('devices').addColumn('qr_updated_at', ts).execute();
      await db.schema.alterTable('devices').addColumn('pairing_code', 'text').execute();
      await db.schema.alterTable('devices').addColumn('connected_at', ts).execute();
      await db.schema.alterTable('devices').addColumn('disconnected_at', ts).execute();

      // Records that a tenant's staged /register webhook became a subscription (exactly once).
      await db.schema.alterTable('tenants').addColumn('staged_webhook_id', uuid).execute();

      // The WhatsApp session (Baileys creds and Signal keys) of each device, never in files.
      await db.schema
        .createTable('device_auth_creds')
        .addColumn('device_id', uuid, (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('creds_json', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('device_auth_keys')
        .addColumn('device_id', uuid, (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('value_json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_auth_keys_pk', ['device_id', 'type', 'key_id'])
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('device_auth_keys').execute();
      await db.schema.dropTable('device_auth_creds').execute();
      await db.schema.alterTable('tenants').dropColumn('staged_webhook_id').execute();
      for (const c of ['disconnected_at', 'connected_at', 'pairing_code', 'qr_updated_at', 'qr', 'auto_connect', 'lid', 'jid', 'phone', 'reason']) {
        await db.schema.alterTable('devices').dropColumn(c).execute();
      }
    },
  };
}
