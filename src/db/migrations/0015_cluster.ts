import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * A cluster of nodes on one database: the nodes and their heartbeats, each device's lease (which
 * node holds its WhatsApp connection, under which epoch, until when) and the commands one node
 * hands to the node holding a device. Times a lease compares are the database's clock in
 * milliseconds, so the nodes' own clocks never decide who holds what.
 */
export function clusterMigration(dialect: DialectName) {
  const { uuid, ts, bool } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('cluster_nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('capacity', 'integer', (c) => c.notNull())
        .addColumn('draining', bool, (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('heartbeat_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('device_leases')
        .addColumn('device_id', uuid, (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        // null: released (its epoch is kept, so the next holder's is higher)
        .addColumn('node_id', 'text')
        .addColumn('epoch', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('device_leases_node').on('device_leases').column('node_id').execute();
      await db.schema
        .createTable('cluster_commands')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('target_node', 'text', (c) => c.notNull())
        .addColumn('origin_node', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('args_json', 'text', (c) => c.notNull())
        .addColumn('deadline_ms', 'bigint', (c) => c.notNull())
        // set by the target: {"ok": value} or {"error": {status, code, message}}
        .addColumn('result_json', 'text')
        .execute();
      await db.schema.createIndex('cluster_commands_target').on('cluster_commands').columns(['target_node', 'result_json']).execute();
      await db.schema.createIndex('cluster_commands_deadline').on('cluster_commands').column('deadline_ms').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('cluster_commands').execute();
      await db.schema.dropTable('device_leases').execute();
      await db.schema.dropTable('cluster_nodes').execute();
    },
  };
}
