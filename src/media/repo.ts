import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, MediaFilesTable } from '../db/schema.js';

export type MediaRow = Omit<MediaFilesTable, 'attempts'> & { attempts: number };
export type NewMediaRow = Omit<MediaFilesTable, 'tenant_id' | 'attempts'>;

export async function insertMediaFile(db: Kysely<Database>, tenantId: string, row: NewMediaRow): Promise<void> {
  await db
    .insertInto('media_files')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

export async function findMediaFile(db: Kysely<Database>, tenantId: string, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media_files').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** True when a stored row of the tenant names the blob `sha256`. */
export async function blobReferenced(db: Kysely<Database>, tenantId: string, sha256: string): Promise<boolean> {
  const row = await db
    .selectFrom('media_files')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('sha256', '=', sha256)
    .where('state', '=', 'stored')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The stored rows that are the first (lowest id) of their blob: summing their sizes counts each
 * blob once. `m` is the outer table's alias.
 */
export function firstOfBlob(eb: ExpressionBuilder<Database & { m: MediaFilesTable }, 'm'>) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('media_files as other')
        .select('other.id')
        .whereRef('other.tenant_id', '=', 'm.tenant_id')
        .whereRef('other.sha256', '=', 'm.sha256')
        .where('other.state', '=', 'stored')
        .whereRef('other.id', '<', 'm.id'),
    ),
  );
}

/** Bytes the tenant's stored media takes in the store: each blob once. */
export async function tenantMediaBytes(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('media_files as m')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('m.size'), eb.lit(0)).as('bytes'))
    .where('m.tenant_id', '=', tenantId)
    .where('m.state', '=', 'stored')
    .where((eb) => firstOfBlob(eb))
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}

/** Marks a pending row stored, with its bytes' hash, size and type; false when it was not pending. */
export async function completePending(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  change: { sha256: string; size: number; mime_type: string; updated_at: string },
): Promise<boolean> {
  const res = await db
    .updateTable('media_files')
    .set({ ...change, state: 'stored', error: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Counts a failed download attempt: the row stays pending (`retry`) or becomes failed; false when it was not pending. */
export async function recordPendingFailure(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  change: { error: string; retry: boolean; updated_at: string },
): Promise<boolean> {
  const res = await db
    .updateTable('media_files')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      error: change.error,
      updated_at: change.updated_at,
      state: change.retry ? 'pending' : 'failed',
    }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Deletes the tenant's rows; answers the blobs (sha256) they named. */
export async function deleteMediaFiles(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.deleteFrom('media_files').where('tenant_id', '=', tenantId).where('id', 'in', ids).returning('sha256').execute();
  return [...new Set(rows.map((r) => r.sha256).filter((s): s is string => s !== null))];
}

// Across tenants: the media sweep and the download worker only; what they find is then handled
// through the tenant-scoped calls above.

/** Rows whose `expires_at` has passed (uploads not used in time). */
export async function expiredMedia(db: Kysely<Database>, now: string, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  return db.selectFrom('media_files').select(['id', 'tenant_id']).where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute();
}

/** Rows created before `cutoff` (past the retention). */
export async function mediaCreatedBefore(db: Kysely<Database>, cutoff: string, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  return db.selectFrom('media_files').select(['id', 'tenant_id']).where('created_at', '<', cutoff).orderBy('created_at').limit(limit).execute();
}

/** The tenant's rows, ids only (deleting a tenant's media). */
export async function tenantMediaIds(db: Kysely<Database>, tenantId: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('media_files').select('id').where('tenant_id', '=', tenantId).limit(limit).execute();
  return rows.map((r) => r.id);
}
