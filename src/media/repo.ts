import type { Kysely } from 'kysely';
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

/** Bytes the tenant's stored media takes in the store: each blob once (kept by addTenantMediaBytes). */
export async function tenantMediaBytes(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db.selectFrom('tenants').select('media_bytes').where('id', '=', tenantId).executeTakeFirst();
  return Number(row?.media_bytes ?? 0);
}

/** A blob the tenant did not have is now named by a stored row (`delta` > 0), or no longer is (< 0). */
export async function addTenantMediaBytes(db: Kysely<Database>, tenantId: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await db
    .updateTable('tenants')
    .set((eb) => ({ media_bytes: eb('media_bytes', '+', delta) }))
    .where('id', '=', tenantId)
    .execute();
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

/** Deletes the tenant's rows; answers the blobs they named (sha256) with their size, and whether a stored row named it. */
export async function deleteMediaFiles(db: Kysely<Database>, tenantId: string, ids: string[]): Promise<{ sha256: string; size: number; stored: boolean }[]> {
  if (ids.length === 0) return [];
  const rows = await db.deleteFrom('media_files').where('tenant_id', '=', tenantId).where('id', 'in', ids).returning(['sha256', 'size', 'state']).execute();
  const blobs = new Map<string, { sha256: string; size: number; stored: boolean }>();
  for (const r of rows) {
    if (r.sha256 === null) continue;
    const stored = r.state === 'stored' || blobs.get(r.sha256)?.stored === true;
    blobs.set(r.sha256, { sha256: r.sha256, size: Number(r.size ?? 0), stored });
  }
  return [...blobs.values()];
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
