import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * Account restrictions: WhatsApp forbids a device's account to start new chats (a reach-out
 * time-lock, the new-chat cap) until a time. One row per restricted device, kept across restarts
 * and removed when WhatsApp lifts it or its time passes.
 */
export function deviceRestrictionsMigration(dialect: DialectName) {
  const { uuid, ts } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('device_restrictions')
        .addColumn('device_id', uuid, (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('until', ts)
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('since', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('device_restrictions_tenant').on('device_restrictions').columns(['tenant_id', 'device_id']).execute();
      // the sweep that lifts restrictions whose time passed
      await db.schema.createIndex('device_restrictions_until').on('device_restrictions').column('until').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('device_restrictions').execute();
    },
  };
}
