import { sql, type Kysely } from 'kysely';
import type { Database, TenantsTable } from '../db/schema.js';

/**
 * The platform module: the master token's queries, the only ones that are not scoped to one
 * tenant by their first argument.
 */
/** A tenant as inserted and read; its media usage is kept by the media service (media_bytes). */
export type TenantRow = Omit<TenantsTable, 'media_bytes'>;

export interface TenantWithCounts extends TenantRow {
  user_count: number;
  device_count: number;
  connected_device_count: number;
  /** Bytes of stored media, each blob once (what the quota counts). */
  media_bytes: number;
  /** Stored media files. */
  media_files: number;
}

export async function insertTenant(db: Kysely<Database>, row: TenantRow): Promise<void> {
  await db.insertInto('tenants').values(row).execute();
}

export async function findTenant(db: Kysely<Database>, id: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function tenantNameTaken(db: Kysely<Database>, nameKey: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('tenants').select('id').where('name_key', '=', nameKey);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function emailTaken(db: Kysely<Database>, email: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) !== undefined;
}

/** The tenant a user belongs to, so the master token can act on any user by id. */
export async function findUserTenantId(db: Kysely<Database>, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('tenant_id').where('id', '=', userId).executeTakeFirst();
  return row?.tenant_id;
}

function withCounts(db: Kysely<Database>) {
  return db
    .selectFrom('tenants as t')
    .selectAll('t')
    .select((eb) => [
      eb.selectFrom('users as u').select(eb.fn.countAll<number>().as('n')).whereRef('u.tenant_id', '=', 't.id').as('user_count'),
      eb.selectFrom('devices as d').select(eb.fn.countAll<number>().as('n')).whereRef('d.tenant_id', '=', 't.id').as('device_count'),
      eb
        .selectFrom('devices as d')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('d.tenant_id', '=', 't.id')
        .where('d.status', '=', 'connected')
        .as('connected_device_count'),
      eb
        .selectFrom('media_files as m')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('m.tenant_id', '=', 't.id')
        .where('m.state', '=', 'stored')
        .as('media_files'),
    ]);
}

function normalizeCounts(row: Record<string, unknown>): TenantWithCounts {
  return {
    ...(row as unknown as TenantRow),
    user_count: Number(row.user_count ?? 0),
    device_count: Number(row.device_count ?? 0),
    connected_device_count: Number(row.connected_device_count ?? 0),
    media_bytes: Number(row.media_bytes ?? 0),
    media_files: Number(row.media_files ?? 0),
  };
}

export async function findTenantWithCounts(db: Kysely<Database>, id: string): Promise<TenantWithCounts | undefined> {
  const row = await withCounts(db).where('t.id', '=', id).executeTakeFirst();
  return row ? normalizeCounts(row) : undefined;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

export async function listTenants(
  db: Kysely<Database>,
  opts: { afterId?: string | undefined; limit: number; namePrefix?: string | undefined; active?: boolean | undefined },
): Promise<TenantWithCounts[]> {
  let q = withCounts(db);
  if (opts.afterId) q = q.where('t.id', '>', opts.afterId);
  if (opts.namePrefix) q = q.where(sql<boolean>`t.name_key like ${escapeLike(opts.namePrefix) + '%'} escape '\\'`);
  if (opts.active !== undefined) q = q.where('t.active', '=', opts.active);
  const rows = await q
    .orderBy('t.id')
    .limit(opts.limit + 1)
    .execute();
  return rows.map(normalizeCounts);
}

export async function updateTenant(
  db: Kysely<Database>,
  id: string,
  change: { name?: string; name_key?: string; active?: boolean; staged_webhook_url?: string | null; staged_webhook_id?: string; updated_at: string },
): Promise<void> {
  await db.updateTable('tenants').set(change).where('id', '=', id).execute();
}

/** Deletes the tenant; every row of it goes with it (foreign keys cascade). */
export async function deleteTenant(db: Kysely<Database>, id: string): Promise<number> {
  const res = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/**
 * Serialises changes to one tenant's users (the last-admin rule). PostgreSQL: a row lock on the
 * tenant. SQLite: the Kysely driver runs one transaction at a time on its single connection.
 */
export async function lockTenant(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', id: string): Promise<boolean> {
  if (dialect === 'postgres') {
    // no key update: lockers wait for each other, while rows that only reference the tenant (a
    // foreign key check takes a key share lock) are written meanwhile, so no deadlock with them
    const row = await db.selectFrom('tenants').select('id').where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
    return row !== undefined;
  }
  return (await db.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
