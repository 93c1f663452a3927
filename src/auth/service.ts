import type { Kysely } from 'kysely';
import type { Static } from 'typebox';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { lockTenant } from '../tenants/repo.js';
import type { Database, TokenKind } from '../db/schema.js';
import { conflict, forbidden, notFound, unauthorized } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { apiTime, nowIso } from '../lib/time.js';
import { findPasswordHash, findUser, updateUser } from '../users/repo.js';
import { normalizeEmail, toApiUser, type ApiUser } from '../users/view.js';
import type { UserActor } from './actor.js';
import { clearFailures, pruneFailures, releaseAttempt } from './login-failures-repo.js';
import { admitPasswordCheck } from './login-limits.js';
import { findLoginCandidate } from './login-repo.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import type { TokenInfoSchema } from './schemas.js';
import * as tokens from './token-repo.js';
import { generateToken, hashToken } from './tokens.js';

export const INVALID_CREDENTIALS = 'invalid email or password';
export type TokenInfo = Static<typeof TokenInfoSchema>;

function toTokenInfo(row: tokens.TokenRow, currentTokenId?: string): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    last4: row.last4,
    created_at: apiTime(row.created_at),
    last_used_at: apiTime(row.last_used_at),
    expires_at: apiTime(row.expires_at),
    current: row.id === currentTokenId,
  };
}

async function issueToken(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
  kind: TokenKind,
  name: string,
  expiresAt: Date | null,
): Promise<{ token: string; row: tokens.TokenRow }> {
  const token = generateToken();
  const row = {
    id: newId(),
    tenant_id: tenantId,
    user_id: userId,
    kind,
    name,
    last4: token.slice(-4),
    created_at: nowIso(),
    last_used_at: null,
    expires_at: expiresAt ? expiresAt.toISOString() : null,
  };
  await tokens.insertToken(db, tenantId, { ...row, token_hash: hashToken(token) });
  return { token, row };
}

export async function login(
  deps: Deps,
  input: { email: string; password: string },
  clientAddress: string,
): Promise<{ user: ApiUser; token: string; expires_at: string }> {
  const db = deps.db.kysely;
  const { config } = deps;
  const email = normalizeEmail(input.email);
  const accountKey = `account:${email}`;
  const addressKey = `address:${clientAddress}`;
  const now = new Date();

  const [addressCount] = await admitPasswordCheck(
    db,
    [
      { key: addressKey, maxFailures: config.loginMaxFailuresPerAddress },
      { key: accountKey, maxFailures: config.loginMaxFailuresPerAccount },
    ],
    config.loginFailureWindowSeconds,
    now,
    'too many failed logins; try again later',
  );

  const candidate = await findLoginCandidate(db, email);
  const ok = candidate ? await verifyPassword(candidate.password_hash, input.password) : (await burnPasswordCheck(input.password), false);
  // A deactivated user gets a wrong password's answer whatever it gave: it must not learn that the password is right.
  if (!candidate || !ok || !candidate.active) {
    await pruneFailures(db, now);
    throw unauthorized(INVALID_CREDENTIALS, 'invalid_credentials');
  }
  await clearFailures(db, accountKey);
  await releaseAttempt(db, addressKey, addressCount!);
  if (!candidate.tenant_active) throw forbidden('tenant is suspended', 'tenant_suspended');

  const expiresAt = new Date(now.getTime() + config.sessionTtlHours * 3_600_000);
  // Ending the oldest sessions is a revocation: changing identities, announced to every node.
  const issued = await deps.identities.change(candidate.tenant_id, (announce) =>
    db.transaction().execute(async (trx) => {
      const t = nowIso(now);
      await tokens.deleteExpiredTokens(trx, candidate.tenant_id, candidate.id, t);
      const sessions = await tokens.liveTokenIds(trx, candidate.tenant_id, candidate.id, 'session', t);
      const excess = sessions.length - (config.maxTokensPerUser - 1);
      if (excess > 0) {
        await tokens.deleteTokens(trx, candidate.tenant_id, sessions.slice(0, excess));
        await announce(trx);
      }
      return issueToken(trx, candidate.tenant_id, candidate.id, 'session', 'login', expiresAt);
    }),
  );
  const user = await findUser(db, candidate.tenant_id, candidate.id);
  return { user: toApiUser(user!), token: issued.token, expires_at: apiTime(expiresAt.toISOString()) };
}

export async function logout(deps: Deps, actor: UserActor): Promise<void> {
  await deps.identities.change(actor.tenantId, (announce) =>
    deps.db.kysely.transaction().execute(async (trx) => {
      await tokens.deleteToken(trx, actor.tenantId, actor.tokenId);
      await announce(trx);
    }),
  );
}

export async function me(deps: Deps, actor: UserActor): Promise<ApiUser> {
  const user = await findUser(deps.db.kysely, actor.tenantId, actor.userId);
  if (!user) throw unauthorized('invalid or expired token', 'invalid_token');
  return toApiUser(user);
}

/** Changes the caller's password and ends its other login sessions (API tokens stay). */
export async function changePassword(deps: Deps, actor: UserActor, input: { current_password: string; new_password: string }): Promise<void> {
  const db = deps.db.kysely;
  // Guessing the current password with a stolen token counts as failed logins of the account.
  const accountKey = `account:${actor.email}`;
  const now = new Date();
  await admitPasswordCheck(
    db,
    [{ key: accountKey, maxFailures: deps.config.loginMaxFailuresPerAccount }],
    deps.config.loginFailureWindowSeconds,
    now,
    'too many wrong passwords; try again later',
  );
  const currentHash = await findPasswordHash(db, actor.tenantId, actor.userId);
  if (!currentHash || !(await verifyPassword(currentHash, input.current_password))) throw forbidden('current_password is wrong', 'wrong_password');
  await clearFailures(db, accountKey);
  const newHash = await hashPassword(input.new_password);
  await deps.identities.change(actor.tenantId, (announce) =>
    db.transaction().execute(async (trx) => {
      await updateUser(trx, actor.tenantId, actor.userId, { password_hash: newHash, updated_at: nowIso() });
      await tokens.deleteSessionsExcept(trx, actor.tenantId, actor.userId, actor.tokenId);
      await recordAudit(trx, actor, { tenantId: actor.tenantId, action: 'user.password_change', targetType: 'user', targetId: actor.userId });
      await announce(trx);
    }),
  );
}

export async function listTokens(deps: Deps, actor: UserActor, query: { limit?: number | undefined; cursor?: string | undefined }): Promise<Page<TokenInfo>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await tokens.listUserTokens(deps.db.kysely, actor.tenantId, actor.userId, { afterId: decodeCursor(query.cursor), limit, now: nowIso() });
  const page = toPage(rows, limit);
  return { items: page.items.map((r) => toTokenInfo(r, actor.tokenId)), nextCursor: page.nextCursor };
}

export async function createApiToken(
  deps: Deps,
  actor: UserActor,
  input: { name: string; expires_in_days?: number | undefined },
): Promise<{ token: string; info: TokenInfo }> {
  const expiresAt = input.expires_in_days ? new Date(Date.now() + input.expires_in_days * 86_400_000) : null;
  const issued = await deps.db.kysely.transaction().execute(async (trx) => {
    await lockTenant(trx, deps.db.dialect, actor.tenantId); // the count and the insert, atomically
    const live = await tokens.liveTokenIds(trx, actor.tenantId, actor.userId, 'api', nowIso());
    if (live.length >= deps.config.maxTokensPerUser) {
      throw conflict(`you already hold the maximum of ${deps.config.maxTokensPerUser} API tokens; revoke one first`, 'token_limit_reached');
    }
    const created = await issueToken(trx, actor.tenantId, actor.userId, 'api', input.name.trim(), expiresAt);
    await recordAudit(trx, actor, {
      tenantId: actor.tenantId,
      action: 'token.create',
      targetType: 'token',
      targetId: created.row.id,
      after: toTokenInfo(created.row),
    });
    return created;
  });
  return { token: issued.token, info: toTokenInfo(issued.row) };
}

export async function revokeToken(deps: Deps, actor: UserActor, tokenId: string): Promise<void> {
  await deps.identities.change(actor.tenantId, (announce) =>
    deps.db.kysely.transaction().execute(async (trx) => {
      const row = await tokens.findUserToken(trx, actor.tenantId, actor.userId, tokenId);
      if (!row) throw notFound('token');
      await tokens.deleteToken(trx, actor.tenantId, tokenId);
      await recordAudit(trx, actor, { tenantId: actor.tenantId, action: 'token.revoke', targetType: 'token', targetId: tokenId, before: toTokenInfo(row) });
      await announce(trx);
    }),
  );
}
