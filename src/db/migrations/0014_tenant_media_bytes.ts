import { sql, type Kysely } from 'kysely';

/**
 * A tenant's media usage (each blob once) kept as a number on the tenant, changed in the
 * transactions that store or delete its files: summing it on each upload cost a pass over all
 * of the tenant's files (and SQLite's plan for it was quadratic in them).
 */
export function tenantMediaBytesMigration() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('tenants')
        .addColumn('media_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`
        update tenants set media_bytes = coalesce((
          select sum(blob.size) from (
            select max(m.size) as size from media_files m
            where m.tenant_id = tenants.id and m.state = 'stored'
            group by m.sha256
          ) blob
        ), 0)`.execute(db);
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('tenants').dropColumn('media_bytes').execute();
    },
  };
}
