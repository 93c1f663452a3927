import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * Received messages WUTS could not store after its retries: kept here (and WhatsApp told they
 * arrived) so that one bad message never blocks the device's next ones, and an operator can
 * see them and store them again. `device_id` has no foreign key: a row outlives its device.
 */
export function inboundDeadLettersMigration(dialect: DialectName) {
  const { uuid, ts, bool } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('inbound_dead_letters')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('device_id', uuid, (c) => c.notNull())
        .addColumn('chat_jid', 'text', (c) => c.notNull())
        .addColumn('wa_id', 'text', (c) => c.notNull())
        .addColumn('from_me', bool, (c) => c.notNull())
        .addColumn('message_json', 'text', (c) => c.notNull())
        .addColumn('error', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('inbound_dead_letters_tenant_idx').on('inbound_dead_letters').columns(['tenant_id', 'id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('inbound_dead_letters').execute();
    },
  };
}
