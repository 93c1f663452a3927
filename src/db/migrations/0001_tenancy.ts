import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

export function tenancyMigration(dialect: DialectName) {
  const { uuid, ts, bool } = columnTypes(dialect);

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('active', bool, (c) => c.notNull())
        .addColumn('staged_webhook_url', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'supervisor', 'agent', 'viewer')`))
        .addColumn('active', bool, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_tenant_id_idx').on('users').columns(['tenant_id', 'id']).execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('user_id', uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('api', 'session')`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('last4', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('last_used_at', ts)
        .addColumn('expires_at', ts)
        .execute();
      await db.schema.createIndex('api_tokens_user_id_idx').on('api_tokens').columns(['user_id', 'id']).execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.references('tenants.id').onDelete('cascade'))
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_user_id', uuid)
        .addColumn('actor_email', 'text')
        .addColumn('actor_role', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_id', uuid)
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_tenant_idx').on('audit_log').columns(['tenant_id', 'id']).execute();

      await db.schema
        .createTable('login_failures')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_ends_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_failures_window_idx').on('login_failures').column('window_ends_at').execute();

      // Devices arrive with their own issue; the table exists now so tenant counts are real.
      await db.schema
        .createTable('devices')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('devices_tenant_id_idx').on('devices').columns(['tenant_id', 'id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['devices', 'login_failures', 'audit_log', 'api_tokens', 'users', 'tenants']) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
