import type { Kysely } from 'kysely';
import type { Database, Role, UsersTable } from '../db/schema.js';

export type UserRow = UsersTable;
export type PublicUserRow = Omit<UsersTable, 'password_hash'>;

const PUBLIC_COLUMNS = ['id', 'tenant_id', 'email', 'role', 'active', 'created_at', 'updated_at'] as const;

export async function insertUser(db: Kysely<Database>, tenantId: string, row: Omit<UserRow, 'tenant_id'>): Promise<void> {
  await db
    .insertInto('users')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

export async function findUser(db: Kysely<Database>, tenantId: string, id: string): Promise<PublicUserRow | undefined> {
  return db.selectFrom('users').select(PUBLIC_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function findPasswordHash(db: Kysely<Database>, tenantId: string, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('password_hash').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row?.password_hash;
}

export async function listUsers(
  db: Kysely<Database>,
  tenantId: string,
  opts: { afterId?: string | undefined; limit: number; role?: Role | undefined; active?: boolean | undefined },
): Promise<PublicUserRow[]> {
  let q = db.selectFrom('users').select(PUBLIC_COLUMNS).where('tenant_id', '=', tenantId);
  if (opts.afterId) q = q.where('id', '>', opts.afterId);
  if (opts.role) q = q.where('role', '=', opts.role);
  if (opts.active !== undefined) q = q.where('active', '=', opts.active);
  return q
    .orderBy('id')
    .limit(opts.limit + 1)
    .execute();
}

export async function updateUser(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  change: { role?: Role | undefined; active?: boolean | undefined; password_hash?: string; updated_at: string },
): Promise<void> {
  const set: Partial<UserRow> = { updated_at: change.updated_at };
  if (change.role !== undefined) set.role = change.role;
  if (change.active !== undefined) set.active = change.active;
  if (change.password_hash !== undefined) set.password_hash = change.password_hash;
  await db.updateTable('users').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteUser(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('users').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function countUsers(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countActiveAdmins(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('role', '=', 'admin')
    .where('active', '=', true)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
