import type { Static } from 'typebox';
import type { Actor } from '../auth/actor.js';
import type { AnnounceChange } from '../auth/identities.js';
import { authorize } from '../auth/policy.js';
import { hashPassword } from '../auth/passwords.js';
import { insertToken } from '../auth/token-repo.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { uniqueViolation } from '../db/errors.js';
import { withOutbox } from '../events/outbox.js';
import { TENANT_EXISTS, badRequest, conflict, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { apiTime, nowIso } from '../lib/time.js';
import { checkWebhookTarget } from '../webhooks/ssrf.js';
import { insertUser } from '../users/repo.js';
import { EMAIL_TAKEN } from '../users/service.js';
import { normalizeEmail, toApiUser } from '../users/view.js';
import { hasSession, tenantDeviceIds } from '../devices/repo.js';
import { deleteTenantMedia } from '../media/service.js';
import * as repo from './repo.js';
import type { RegisterResponse, TenantSchema } from './schemas.js';

export const STAGED_WEBHOOK_NOTE = 'Webhook will be auto-configured when WhatsApp device is connected';
const TENANT_NAME_TAKEN = 'a tenant with this name already exists';

export function tenantNameKey(name: string): string {
  return name.trim().toLowerCase();
}

export type ApiTenant = Static<typeof TenantSchema>;
/** What /register creates: the tenant, its first admin with a token, and the staged webhook. */
export type Registration = Omit<Static<typeof RegisterResponse>, 'success'>;

function toApiTenant(row: repo.TenantWithCounts): ApiTenant {
  return {
    id: row.id,
    name: row.name,
    active: row.active,
    staged_webhook_url: row.staged_webhook_url,
    user_count: row.user_count,
    device_count: row.device_count,
    connected_device_count: row.connected_device_count,
    media_bytes: row.media_bytes,
    media_files: row.media_files,
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
  };
}

export async function register(
  deps: Deps,
  actor: Actor,
  input: { tenant_name: string; email: string; password: string; role?: string | undefined; webhook_url?: string | undefined },
): Promise<Registration> {
  authorize(actor, 'tenants.manage');
  const name = input.tenant_name.trim();
  const nameKey = tenantNameKey(name);
  const email = normalizeEmail(input.email);
  const webhookUrl = input.webhook_url === undefined ? null : input.webhook_url.trim();
  if (webhookUrl !== null) {
    const problem = await checkWebhookTarget(webhookUrl, deps.config.allowPrivateWebhooks);
    if (problem) throw badRequest(`webhook_url ${problem}`, 'invalid_webhook_url');
  }
  const db = deps.db.kysely;

  // Cheap checks first, so a duplicate does not cost an Argon2 hash; the constraints decide races.
  if (await repo.tenantNameTaken(db, nameKey)) throw conflict(TENANT_EXISTS, 'tenant_exists');
  if (await repo.emailTaken(db, email)) throw conflict(EMAIL_TAKEN, 'email_taken');
  const passwordHash = await hashPassword(input.password);

  const now = nowIso();
  const tenant = {
    id: newId(),
    name,
    name_key: nameKey,
    active: true,
    staged_webhook_url: webhookUrl,
    staged_webhook_id: null,
    created_at: now,
    updated_at: now,
  };
  const user = { id: newId(), tenant_id: tenant.id, email, role: 'admin' as const, active: true, created_at: now, updated_at: now };
  const token = generateToken();
  try {
    await withOutbox(deps, async (trx, emit) => {
      if (await repo.tenantNameTaken(trx, nameKey)) throw conflict(TENANT_EXISTS, 'tenant_exists');
      if (await repo.emailTaken(trx, email)) throw conflict(EMAIL_TAKEN, 'email_taken');
      await repo.insertTenant(trx, tenant);
      await insertUser(trx, tenant.id, { ...user, password_hash: passwordHash });
      await insertToken(trx, tenant.id, {
        id: newId(),
        user_id: user.id,
        kind: 'api',
        name: 'registration',
        token_hash: hashToken(token),
        last4: token.slice(-4),
        created_at: now,
        last_used_at: null,
        expires_at: null,
      });
      await recordAudit(trx, actor, {
        tenantId: tenant.id,
        action: 'tenant.register',
        targetType: 'tenant',
        targetId: tenant.id,
        after: { tenant: { id: tenant.id, name, staged_webhook_url: webhookUrl }, admin: toApiUser(user) },
      });
      await emit({ tenantId: tenant.id, type: 'user.created', data: toApiUser(user) });
    });
  } catch (err) {
    const unique = uniqueViolation(err);
    if (unique) throw unique.detail.includes('name_key') ? conflict(TENANT_EXISTS, 'tenant_exists') : conflict(EMAIL_TAKEN, 'email_taken');
    throw err;
  }

  const apiUser = toApiUser(user);
  return {
    user: { ...apiUser, token },
    tenant: { id: tenant.id, name, created_at: apiTime(now), updated_at: apiTime(now) },
    token,
    webhook_configured: webhookUrl !== null,
    webhook_url: webhookUrl,
    ...(webhookUrl !== null ? { note: STAGED_WEBHOOK_NOTE } : {}),
  };
}

export async function listTenants(
  deps: Deps,
  actor: Actor,
  query: { limit?: number | undefined; cursor?: string | undefined; name_prefix?: string | undefined; active?: boolean | undefined },
): Promise<Page<ApiTenant>> {
  authorize(actor, 'tenants.manage');
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await repo.listTenants(deps.db.kysely, {
    afterId: decodeCursor(query.cursor),
    limit,
    namePrefix: query.name_prefix === undefined ? undefined : tenantNameKey(query.name_prefix),
    active: query.active,
  });
  const page = toPage(rows, limit);
  return { items: page.items.map(toApiTenant), nextCursor: page.nextCursor };
}

export async function getTenant(deps: Deps, actor: Actor, id: string): Promise<ApiTenant> {
  authorize(actor, 'tenants.manage');
  const row = await repo.findTenantWithCounts(deps.db.kysely, id);
  if (!row) throw notFound('tenant');
  return toApiTenant(row);
}

export async function updateTenant(
  deps: Deps,
  actor: Actor,
  id: string,
  change: { name?: string | undefined; active?: boolean | undefined },
): Promise<ApiTenant> {
  authorize(actor, 'tenants.manage');
  try {
    // A suspension or reactivation changes identities (a rename does not, but is as rare).
    await deps.identities.change(id, (announce) => updateTenantRow(deps, actor, id, change, announce));
  } catch (err) {
    if (uniqueViolation(err)) throw conflict(TENANT_NAME_TAKEN, 'tenant_exists');
    throw err;
  }
  if (change.active === false) await deps.bus.devices().suspendTenant(id);
  if (change.active === true) await deps.bus.devices().resumeTenant(id);
  return getTenant(deps, actor, id);
}

async function updateTenantRow(
  deps: Deps,
  actor: Actor,
  id: string,
  change: { name?: string | undefined; active?: boolean | undefined },
  announce: AnnounceChange,
): Promise<void> {
  await withOutbox(deps, async (trx, emit) => {
    const before = await repo.findTenant(trx, id);
    if (!before) throw notFound('tenant');
    const set: Parameters<typeof repo.updateTenant>[2] = { updated_at: nowIso() };
    if (change.name !== undefined) {
      set.name = change.name.trim();
      set.name_key = tenantNameKey(change.name);
      if (await repo.tenantNameTaken(trx, set.name_key, id)) throw conflict(TENANT_NAME_TAKEN, 'tenant_exists');
    }
    if (change.active !== undefined) set.active = change.active;
    await repo.updateTenant(trx, id, set);
    await recordAudit(trx, actor, {
      tenantId: id,
      action: 'tenant.update',
      targetType: 'tenant',
      targetId: id,
      before: { name: before.name, active: before.active },
      after: { name: set.name ?? before.name, active: set.active ?? before.active },
    });
    await emit({
      tenantId: id,
      type: 'tenant.updated',
      data: { id, name: set.name ?? before.name, active: set.active ?? before.active, updated_at: apiTime(set.updated_at) },
    });
    await announce(trx);
  });
}

/**
 * Logs out the tenant's devices, then removes the tenant and every row of it, then its media
 * files' bytes; the platform audit log keeps a record.
 */
export async function deleteTenant(deps: Deps, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'tenants.manage');
  if (!(await repo.findTenant(deps.db.kysely, id))) throw notFound('tenant');
  for (const deviceId of await tenantDeviceIds(deps.db.kysely, id)) {
    const devices = deps.bus.devices();
    if ((await devices.isRunning(deviceId)) || (await hasSession(deps.db.kysely, id, deviceId))) {
      await devices.logout(id, deviceId).catch((err: unknown) => deps.logger.warn({ err, deviceId }, 'could not log out a device of a deleted tenant'));
    }
  }
  await deps.identities.change(id, (announce) =>
    deps.db.kysely.transaction().execute(async (trx) => {
      const before = await repo.findTenant(trx, id);
      if (!before) throw notFound('tenant');
      await repo.deleteTenant(trx, id);
      await announce(trx);
      await recordAudit(trx, actor, {
        tenantId: null,
        action: 'tenant.delete',
        targetType: 'tenant',
        targetId: id,
        before: { id, name: before.name, active: before.active },
      });
    }),
  );
  deps.bus.webhooksChanged(id, null);
  // The rows went with the tenant (cascade); the blobs are not rows. A failure leaves bytes no
  // row names, and is logged.
  await deleteTenantMedia(deps, id).catch((err: unknown) => deps.logger.error({ err, tenantId: id }, "could not delete a deleted tenant's media"));
}
