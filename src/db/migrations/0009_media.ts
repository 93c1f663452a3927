import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * Media files (uploads, media fetched from a URL or given as data, and received media): one row
 * per file a tenant can name by id. The bytes are content-addressed per tenant in the media
 * store (`tenants/<tenant_id>/<sha256>`): rows with the same bytes share one blob, deleted when
 * the last row naming it goes.
 */
export function mediaMigration(dialect: DialectName) {
  const { uuid, ts } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('media_files')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('stored', 'pending', 'failed')`))
        .addColumn('sha256', 'text')
        .addColumn('size', 'bigint')
        .addColumn('mime_type', 'text', (c) => c.notNull())
        .addColumn('filename', 'text')
        .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('upload', 'url', 'data', 'inbound')`))
        .addColumn('source_json', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addCheckConstraint('media_files_stored_check', sql`state <> 'stored' or (sha256 is not null and size is not null)`)
        .execute();
      await db.schema.createIndex('media_files_tenant_idx').on('media_files').columns(['tenant_id', 'id']).execute();
      // Which rows share a blob, and a tenant's usage (each blob once).
      await db.schema.createIndex('media_files_tenant_sha256_idx').on('media_files').columns(['tenant_id', 'sha256']).execute();
      // The sweep: expired uploads, and media past retention.
      await db.schema.createIndex('media_files_expires_idx').on('media_files').column('expires_at').execute();
      await db.schema.createIndex('media_files_created_idx').on('media_files').column('created_at').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('media_files').execute();
    },
  };
}
