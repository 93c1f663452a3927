import type { Kysely } from 'kysely';
import type { AuditLogTable, Database } from '../db/schema.js';

export type AuditRow = AuditLogTable;

export async function insertAudit(db: Kysely<Database>, tenantId: string | null, row: Omit<AuditRow, 'tenant_id'>): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

/** Newest first. `tenantId` undefined lists every tenant's and the platform's entries (master only). */
export async function listAudit(
  db: Kysely<Database>,
  tenantId: string | undefined,
  opts: { beforeId?: string | undefined; limit: number; action?: string | undefined },
): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
  if (opts.action) q = q.where('action', '=', opts.action);
  return q
    .orderBy('id', 'desc')
    .limit(opts.limit + 1)
    .execute();
}
