import type { IncomingHttpHeaders } from 'node:http';
import type { Deps } from '../deps.js';
import { MASTER_TOKEN_REQUIRED, forbidden, unauthorized } from '../lib/errors.js';
import { nowIso } from '../lib/time.js';
import type { Actor, UserActor } from './actor.js';
import { findTokenIdentity, touchToken, type TokenIdentityRow } from './token-repo.js';
import { TOKEN_PREFIX, hashToken, secretsEqual } from './tokens.js';

type Identity =
  { kind: 'none' } | { kind: 'invalid' } | { kind: 'master' } | { kind: 'inactive_user' } | { kind: 'user'; actor: UserActor; tenantActive: boolean };

const LAST_USED_RESOLUTION_MS = 60_000;
/** A request as authentication reads it: its headers (the request object also keys the per-request cache). */
export interface CallerRequest {
  headers: IncomingHttpHeaders;
}

const identities = new WeakMap<CallerRequest, Promise<Identity>>();

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearer(request: CallerRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

async function identify(deps: Deps, request: CallerRequest): Promise<Identity> {
  const token = bearer(request);
  if (!token) return { kind: request.headers.authorization ? 'invalid' : 'none' };
  if (secretsEqual(token, deps.masterToken)) return { kind: 'master' };
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return { kind: 'invalid' };

  const tokenHash = hashToken(token);
  const now = Date.now();
  let row = deps.identities.lookup(tokenHash, now);
  const cached = row !== undefined;
  if (!row) {
    const epoch = deps.identities.epoch;
    row = await findTokenIdentity(deps.db.kysely, tokenHash);
    if (row) deps.identities.remember(tokenHash, row, epoch, now);
  }
  if (!row || (row.expires_at !== null && Date.parse(row.expires_at) <= now)) return { kind: 'invalid' };
  if (!row.user_active) return { kind: 'inactive_user' };
  if (row.last_used_at === null || now - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
    await touch(deps, row, now, cached);
  }
  return {
    kind: 'user',
    tenantActive: row.tenant_active,
    actor: { type: 'user', userId: row.user_id, tenantId: row.tenant_id, role: row.role, email: row.email, tokenId: row.token_id },
  };
}

/**
 * Records the token's use (once a minute). A request that read the database anyway waits for
 * it, so a token's first use shows at once; one served from memory does not pay a round for it:
 * the write runs in the background (a failure is logged; the next minute writes again).
 */
async function touch(deps: Deps, row: TokenIdentityRow, now: number, cached: boolean): Promise<void> {
  const at = nowIso(new Date(now));
  row.last_used_at = at; // the kept row too: the next requests do not write again
  const write = touchToken(deps.db.kysely, row.tenant_id, row.token_id, at);
  if (!cached) return write;
  write.catch((err: unknown) => deps.logger.warn({ err, tokenId: row.token_id }, 'could not record when a token was last used'));
}

/** Identifies the caller once per request. Identities kept in memory are dropped (on every node)
 * before a revocation, deactivation, role change or suspension answers, so it takes effect on the very next request. */
function identityOf(deps: Deps, request: CallerRequest): Promise<Identity> {
  let found = identities.get(request);
  if (!found) {
    found = identify(deps, request);
    identities.set(request, found);
  }
  return found;
}

/** Master-token-only routes: 401 without a valid token, 403 for a tenant user's valid token. */
export async function requireMaster(deps: Deps, request: CallerRequest): Promise<{ type: 'master' }> {
  const identity = await identityOf(deps, request);
  if (identity.kind === 'master') return { type: 'master' };
  if (identity.kind === 'user') throw forbidden(MASTER_TOKEN_REQUIRED, 'master_token_required');
  throw unauthorized(MASTER_TOKEN_REQUIRED, 'master_token_required');
}

/** Routes for tenant users (and the master token): an active user of an active tenant. */
export async function requireActor(deps: Deps, request: CallerRequest): Promise<Actor> {
  const identity = await identityOf(deps, request);
  switch (identity.kind) {
    case 'master':
      return { type: 'master' };
    case 'user':
      if (!identity.tenantActive) throw forbidden('tenant is suspended', 'tenant_suspended');
      return identity.actor;
    case 'inactive_user':
      throw unauthorized('user is deactivated', 'user_inactive');
    case 'invalid':
      throw unauthorized('invalid or expired token', 'invalid_token');
    case 'none':
      throw unauthorized('authentication required', 'unauthorized');
  }
}

/** Routes about the caller itself (/me...): a tenant user, never the master token. */
export async function requireUser(deps: Deps, request: CallerRequest): Promise<UserActor> {
  const actor = await requireActor(deps, request);
  if (actor.type !== 'user') throw forbidden('this route is for tenant users; the master token has no user', 'user_required');
  return actor;
}

/**
 * Identifies the caller of a long-lived request again (the live stream): the user actor while
 * its token, user and tenant are still valid, with its current role; null once they are not.
 */
export async function reidentifyUser(deps: Deps, request: CallerRequest): Promise<UserActor | null> {
  const identity = await identify(deps, request);
  return identity.kind === 'user' && identity.tenantActive ? identity.actor : null;
}
