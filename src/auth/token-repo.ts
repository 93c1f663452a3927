import type { Kysely } from 'kysely';
import { PreparedQuery } from '../db/prepared.js';
import type { ApiTokensTable, Database, Role, TokenKind } from '../db/schema.js';

export interface TokenIdentityRow {
  token_id: string;
  expires_at: string | null;
  last_used_at: string | null;
  user_id: string;
  tenant_id: string;
  role: Role;
  email: string;
  user_active: boolean;
  tenant_active: boolean;
}

const tokenIdentityQuery = new PreparedQuery(['tokenHash'], (db, p) =>
  db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .innerJoin('tenants as n', 'n.id', 't.tenant_id')
    .select([
      't.id as token_id',
      't.expires_at',
      't.last_used_at',
      'u.id as user_id',
      'u.tenant_id',
      'u.role',
      'u.email',
      'u.active as user_active',
      'n.active as tenant_active',
    ])
    .where('t.token_hash', '=', p.tokenHash),
);

/** The one lookup without a tenant id: authentication is how the tenant becomes known. */
export async function findTokenIdentity(db: Kysely<Database>, tokenHash: string): Promise<TokenIdentityRow | undefined> {
  return tokenIdentityQuery.first(db, { tokenHash }) as Promise<TokenIdentityRow | undefined>;
}

const touchTokenQuery = new PreparedQuery(['now', 'tenantId', 'tokenId'], (db, p) =>
  db.updateTable('api_tokens').set({ last_used_at: p.now }).where('tenant_id', '=', p.tenantId).where('id', '=', p.tokenId),
);

export async function touchToken(db: Kysely<Database>, tenantId: string, tokenId: string, now: string): Promise<void> {
  await touchTokenQuery.execute(db, { now, tenantId, tokenId });
}

export async function insertToken(db: Kysely<Database>, tenantId: string, row: Omit<ApiTokensTable, 'tenant_id'>): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

export type TokenRow = Omit<ApiTokensTable, 'token_hash'>;

const TOKEN_COLUMNS = ['id', 'tenant_id', 'user_id', 'kind', 'name', 'last4', 'created_at', 'last_used_at', 'expires_at'] as const;

export async function listUserTokens(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  opts: { afterId?: string | undefined; limit: number; now: string },
): Promise<TokenRow[]> {
  let q = db
    .selectFrom('api_tokens')
    .select(TOKEN_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', opts.now)]));
  if (opts.afterId) q = q.where('id', '>', opts.afterId);
  return q
    .orderBy('id')
    .limit(opts.limit + 1)
    .execute();
}

export async function findUserToken(db: Kysely<Database>, tenantId: string, userId: string, tokenId: string): Promise<TokenRow | undefined> {
  return db
    .selectFrom('api_tokens')
    .select(TOKEN_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('id', '=', tokenId)
    .executeTakeFirst();
}

export async function deleteToken(db: Kysely<Database>, tenantId: string, tokenId: string): Promise<number> {
  const res = await db.deleteFrom('api_tokens').where('tenant_id', '=', tenantId).where('id', '=', tokenId).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Live tokens of one kind, oldest first. */
export async function liveTokenIds(db: Kysely<Database>, tenantId: string, userId: string, kind: TokenKind, now: string): Promise<string[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('kind', '=', kind)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function deleteTokens(db: Kysely<Database>, tenantId: string, tokenIds: string[]): Promise<void> {
  if (tokenIds.length === 0) return;
  await db.deleteFrom('api_tokens').where('tenant_id', '=', tenantId).where('id', 'in', tokenIds).execute();
}

export async function deleteExpiredTokens(db: Kysely<Database>, tenantId: string, userId: string, now: string): Promise<void> {
  await db.deleteFrom('api_tokens').where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('expires_at', '<=', now).execute();
}

export async function deleteSessionsExcept(db: Kysely<Database>, tenantId: string, userId: string, keepTokenId: string | null): Promise<void> {
  let q = db.deleteFrom('api_tokens').where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('kind', '=', 'session');
  if (keepTokenId) q = q.where('id', '!=', keepTokenId);
  await q.execute();
}
