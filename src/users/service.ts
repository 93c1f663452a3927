import type { Kysely } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { AnnounceChange } from '../auth/identities.js';
import { hashPassword } from '../auth/passwords.js';
import { authorize, authorizeUserChange, authorizeUserCreate, authorizeUserRead } from '../auth/policy.js';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { uniqueViolation } from '../db/errors.js';
import { withOutbox } from '../events/outbox.js';
import type { Database, Role } from '../db/schema.js';
import { badRequest, conflict, notFound, unauthorized } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { nowIso } from '../lib/time.js';
import { emailTaken, findTenant, findUserTenantId, lockTenant } from '../tenants/repo.js';
import * as repo from './repo.js';
import { normalizeEmail, toApiUser, type ApiUser } from './view.js';

export const EMAIL_TAKEN = 'email already registered';

/** The tenant an action on `userId` happens in: the caller's own, or for the master token the user's. */
async function targetTenantId(deps: Deps, actor: Actor, userId: string): Promise<string> {
  if (actor.type === 'user') return actor.tenantId;
  const tenantId = await findUserTenantId(deps.db.kysely, userId);
  if (!tenantId) throw notFound('user');
  return tenantId;
}

/** Re-reads the calling user inside the transaction, so a role lost a moment ago counts. */
async function freshActor(db: Kysely<Database>, actor: Actor): Promise<Actor> {
  if (actor.type === 'master') return actor;
  const me = await repo.findUser(db, actor.tenantId, actor.userId);
  if (!me || !me.active) throw unauthorized('user is deactivated', 'user_inactive');
  return { ...actor, role: me.role };
}

function isActiveAdmin(u: { role: Role; active: boolean }): boolean {
  return u.role === 'admin' && u.active;
}

export async function createUser(
  deps: Deps,
  actor: Actor,
  input: { email: string; password: string; role: Role; tenant_id?: string | undefined },
): Promise<ApiUser> {
  authorizeUserCreate(actor, input.role);
  let tenantId: string;
  if (actor.type === 'user') {
    if (input.tenant_id !== undefined && input.tenant_id !== actor.tenantId) throw badRequest('tenant_id is for the master token only');
    tenantId = actor.tenantId;
  } else {
    if (!input.tenant_id) throw badRequest('tenant_id is required when the master token creates a user');
    tenantId = input.tenant_id;
    if (!(await findTenant(deps.db.kysely, tenantId))) throw notFound('tenant');
  }
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  const now = nowIso();
  const row = { id: newId(), email, password_hash: passwordHash, role: input.role, active: true, created_at: now, updated_at: now };
  try {
    await withOutbox(deps, async (trx, emit) => {
      if (!(await lockTenant(trx, deps.db.dialect, tenantId))) throw notFound('tenant');
      const caller = await freshActor(trx, actor);
      authorizeUserCreate(caller, input.role);
      if ((await repo.countUsers(trx, tenantId)) >= deps.config.maxUsersPerTenant) {
        throw conflict(`this tenant already has the maximum of ${deps.config.maxUsersPerTenant} users`, 'user_limit_reached');
      }
      if (await emailTaken(trx, email)) throw conflict(EMAIL_TAKEN, 'email_taken');
      await repo.insertUser(trx, tenantId, row);
      const { password_hash: _omit, ...view } = { ...row, tenant_id: tenantId };
      await recordAudit(trx, caller, { tenantId, action: 'user.create', targetType: 'user', targetId: row.id, after: toApiUser(view) });
      await emit({ tenantId, type: 'user.created', data: toApiUser(view) });
    });
  } catch (err) {
    if (uniqueViolation(err)) throw conflict(EMAIL_TAKEN, 'email_taken');
    throw err;
  }
  return toApiUser({ ...row, tenant_id: tenantId });
}

export async function listUsers(
  deps: Deps,
  actor: Actor,
  query: { limit?: number | undefined; cursor?: string | undefined; role?: Role | undefined; active?: boolean | undefined; tenant_id?: string | undefined },
): Promise<Page<ApiUser>> {
  authorize(actor, 'users.read');
  let tenantId: string;
  if (actor.type === 'user') {
    if (query.tenant_id !== undefined) throw badRequest('tenant_id is a filter for the master token only');
    tenantId = actor.tenantId;
  } else {
    if (!query.tenant_id) throw badRequest('tenant_id is required when the master token lists users');
    tenantId = query.tenant_id;
  }
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await repo.listUsers(deps.db.kysely, tenantId, { afterId: decodeCursor(query.cursor), limit, role: query.role, active: query.active });
  const page = toPage(rows, limit);
  return { items: page.items.map(toApiUser), nextCursor: page.nextCursor };
}

export async function getUser(deps: Deps, actor: Actor, userId: string): Promise<ApiUser> {
  const tenantId = await targetTenantId(deps, actor, userId);
  const user = await repo.findUser(deps.db.kysely, tenantId, userId);
  if (!user) throw notFound('user');
  authorizeUserRead(actor, user);
  return toApiUser(user);
}

/** `change` undefined deletes the user. */
async function changeUser(
  deps: Deps,
  actor: Actor,
  userId: string,
  change: { role?: Role | undefined; active?: boolean | undefined } | undefined,
): Promise<ApiUser | undefined> {
  const tenantId = await targetTenantId(deps, actor, userId);
  return deps.identities.change(tenantId, (announce) => changeUserRow(deps, actor, tenantId, userId, change, announce));
}

async function changeUserRow(
  deps: Deps,
  actor: Actor,
  tenantId: string,
  userId: string,
  change: { role?: Role | undefined; active?: boolean | undefined } | undefined,
  announce: AnnounceChange,
): Promise<ApiUser | undefined> {
  return withOutbox(deps, async (trx, emit) => {
    await lockTenant(trx, deps.db.dialect, tenantId);
    const before = await repo.findUser(trx, tenantId, userId);
    if (!before) throw notFound('user');
    const caller = await freshActor(trx, actor);
    authorizeUserChange(caller, before, change);

    const after = change ? { ...before, role: change.role ?? before.role, active: change.active ?? before.active, updated_at: nowIso() } : undefined;
    if (isActiveAdmin(before) && !(after && isActiveAdmin(after)) && (await repo.countActiveAdmins(trx, tenantId)) <= 1) {
      throw conflict('a tenant must keep at least one active admin', 'last_admin');
    }
    if (after) {
      await repo.updateUser(trx, tenantId, userId, { role: change?.role, active: change?.active, updated_at: after.updated_at });
    } else {
      await repo.deleteUser(trx, tenantId, userId);
    }
    await recordAudit(trx, caller, {
      tenantId,
      action: after ? 'user.update' : 'user.delete',
      targetType: 'user',
      targetId: userId,
      before: toApiUser(before),
      after: after ? toApiUser(after) : null,
    });
    await emit(after ? { tenantId, type: 'user.updated', data: toApiUser(after) } : { tenantId, type: 'user.deleted', data: toApiUser(before) });
    await announce(trx);
    return after ? toApiUser(after) : undefined;
  });
}

export async function updateUser(
  deps: Deps,
  actor: Actor,
  userId: string,
  change: { role?: Role | undefined; active?: boolean | undefined },
): Promise<ApiUser> {
  if (change.role === undefined && change.active === undefined) throw badRequest('give active and/or role');
  return (await changeUser(deps, actor, userId, change))!;
}

export async function deleteUser(deps: Deps, actor: Actor, userId: string): Promise<void> {
  await changeUser(deps, actor, userId, undefined);
}
