import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

export function eventsWebhooksMigration(dialect: DialectName) {
  const { uuid, ts, bool } = columnTypes(dialect);

  return {
    async up(db: Kysely<any>): Promise<void> {
      // The outbox: written in the transaction of the change that causes the event.
      await db.schema
        .createTable('events')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('device_id', uuid)
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data_json', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_tenant_idx').on('events').columns(['tenant_id', 'id']).execute();
      await db.schema.createIndex('events_created_idx').on('events').column('created_at').execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('event_types_json', 'text')
        .addColumn('device_id', uuid)
        .addColumn('enabled', bool, (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_expires_at', ts)
        .addColumn('failing_since', ts)
        .addColumn('last_success_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhooks_tenant_idx').on('webhooks').columns(['tenant_id', 'id']).execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('webhook_id', uuid, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('event_id', uuid, (c) => c.notNull().references('events.id').onDelete('cascade'))
        // Deliveries of one webhook with the same order key go out in event order.
        .addColumn('order_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempt_count', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', ts, (c) => c.notNull())
        .addColumn('lease_until', ts)
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deliveries_due_idx').on('deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('deliveries_order_idx').on('deliveries').columns(['webhook_id', 'order_key', 'event_id']).execute();
      // Finds the head (oldest unfinished delivery) of every webhook and order key from the index alone.
      await db.schema.createIndex('deliveries_unfinished_idx').on('deliveries').columns(['status', 'webhook_id', 'order_key', 'event_id']).execute();
      await db.schema.createIndex('deliveries_event_idx').on('deliveries').column('event_id').execute();

      await db.schema
        .createTable('delivery_attempts')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('delivery_id', uuid, (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
        .addColumn('attempted_at', ts, (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('response_body', 'text')
        .execute();
      await db.schema.createIndex('delivery_attempts_delivery_idx').on('delivery_attempts').columns(['delivery_id', 'id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['delivery_attempts', 'deliveries', 'webhooks', 'events']) await db.schema.dropTable(t).execute();
    },
  };
}
