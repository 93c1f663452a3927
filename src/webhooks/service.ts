import type { Static } from 'typebox';
import { tenantUserOf, type Actor, type UserActor } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { lockTenant } from '../tenants/repo.js';
import { findDevice } from '../devices/repo.js';
import { isKnownFilter } from '../events/catalog.js';
import { withOutbox } from '../events/outbox.js';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { apiTime, nowIso } from '../lib/time.js';
import * as repo from './repo.js';
import type { CreateWebhookBody, DeliverySchema, UpdateWebhookBody, WebhookSchema } from './schemas.js';
import type { SecretBox } from '../lib/secret-box.js';
import { openWebhookSecrets, sealWebhookSecret } from './secrets.js';
import { generateSecret } from './signing.js';
import { checkWebhookTarget } from './ssrf.js';
import type { WebhookLimits } from './limits.js';
import { toApiDelivery, toApiWebhook } from './view.js';

type ApiWebhook = Static<typeof WebhookSchema>;
type ApiDelivery = Static<typeof DeliverySchema>;

const tenantUser = (actor: Actor): UserActor => tenantUserOf(actor, 'webhooks');

async function checkUrl(deps: Deps, url: string): Promise<string> {
  const problem = await checkWebhookTarget(url.trim(), deps.config.allowPrivateWebhooks);
  if (problem) throw badRequest(`url ${problem}`, 'invalid_webhook_url');
  return url.trim();
}

function checkFilters(types: string[] | null | undefined): string | null | undefined {
  if (types === undefined || types === null) return types;
  const unknown = types.filter((t) => !isKnownFilter(t));
  if (unknown.length) throw badRequest(`unknown event types: ${unknown.join(', ')}`, 'invalid_event_types');
  return JSON.stringify(types);
}

async function checkDevice(deps: Deps, tenantId: string, deviceId: string | null | undefined): Promise<void> {
  if (!deviceId) return;
  if (!(await findDevice(deps.db.kysely, tenantId, deviceId))) throw badRequest('device_id is not a device of your tenant', 'unknown_device');
}

async function mustFind(deps: Deps, tenantId: string, id: string): Promise<repo.WebhookRow> {
  const row = await repo.findWebhook(deps.db.kysely, tenantId, id);
  if (!row) throw notFound('webhook');
  return row;
}

/**
 * A new webhook with a fresh secret, sealed for the tenant's row (also used when the webhook
 * staged at /register is activated).
 */
export function newWebhookRow(
  secrets: SecretBox,
  tenantId: string,
  o: {
    url: string;
    description: string | null;
    eventTypesJson: string | null;
    deviceId: string | null;
    enabled: boolean;
  },
): Omit<repo.WebhookRow, 'tenant_id'> {
  const now = nowIso();
  const id = newId();
  return {
    id,
    url: o.url,
    description: o.description,
    event_types_json: o.eventTypesJson,
    device_id: o.deviceId,
    enabled: o.enabled,
    disabled_reason: null,
    secret: sealWebhookSecret(secrets, tenantId, id, 'secret', generateSecret()),
    previous_secret: null,
    previous_secret_expires_at: null,
    failing_since: null,
    last_success_at: null,
    created_at: now,
    updated_at: now,
  };
}

export async function listWebhooks(deps: Deps, actor: Actor, query: { limit?: number | undefined; cursor?: string | undefined }): Promise<Page<ApiWebhook>> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.read');
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const page = toPage(await repo.listWebhooks(deps.db.kysely, user.tenantId, { afterId: decodeCursor(query.cursor), limit }), limit);
  return { items: page.items.map(toApiWebhook), nextCursor: page.nextCursor };
}

export async function getWebhook(deps: Deps, actor: Actor, id: string): Promise<ApiWebhook> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.read');
  return toApiWebhook(await mustFind(deps, user.tenantId, id));
}

export async function createWebhook(deps: Deps, actor: Actor, body: Static<typeof CreateWebhookBody>): Promise<ApiWebhook> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  const url = await checkUrl(deps, body.url);
  const eventTypes = checkFilters(body.event_types) ?? null;
  await checkDevice(deps, user.tenantId, body.device_id);
  const row = newWebhookRow(deps.secrets, user.tenantId, {
    url,
    description: body.description ?? null,
    eventTypesJson: eventTypes,
    deviceId: body.device_id ?? null,
    enabled: body.enabled ?? true,
  });
  const view = toApiWebhook({ ...row, tenant_id: user.tenantId });
  await deps.db.kysely.transaction().execute(async (trx) => {
    await lockTenant(trx, deps.db.dialect, user.tenantId); // the count and the insert, atomically
    if ((await repo.countWebhooks(trx, user.tenantId)) >= deps.config.maxWebhooksPerTenant) {
      throw conflict(`this tenant already has the maximum of ${deps.config.maxWebhooksPerTenant} webhooks`, 'webhook_limit_reached');
    }
    await repo.insertWebhook(trx, user.tenantId, row);
    await recordAudit(trx, user, { tenantId: user.tenantId, action: 'webhook.create', targetType: 'webhook', targetId: row.id, after: view });
  });
  return view;
}

export async function updateWebhook(deps: Deps, actor: Actor, id: string, body: Static<typeof UpdateWebhookBody>): Promise<ApiWebhook> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  const before = await mustFind(deps, user.tenantId, id);
  const set: Partial<repo.WebhookRow> = { updated_at: nowIso() };
  if (body.url !== undefined) set.url = await checkUrl(deps, body.url);
  if (body.description !== undefined) set.description = body.description;
  if (body.event_types !== undefined) set.event_types_json = checkFilters(body.event_types) ?? null;
  if (body.device_id !== undefined) {
    await checkDevice(deps, user.tenantId, body.device_id);
    set.device_id = body.device_id;
  }
  if (body.enabled !== undefined) {
    set.enabled = body.enabled;
    if (body.enabled) Object.assign(set, { disabled_reason: null, failing_since: null });
  }
  const after = { ...before, ...set };
  await deps.db.kysely.transaction().execute(async (trx) => {
    await repo.updateWebhook(trx, user.tenantId, id, set);
    await recordAudit(trx, user, {
      tenantId: user.tenantId,
      action: 'webhook.update',
      targetType: 'webhook',
      targetId: id,
      before: toApiWebhook(before),
      after: toApiWebhook(after),
    });
  });
  deps.bus.webhooksChanged(user.tenantId, id);
  if (body.enabled) deps.bus.notify();
  return toApiWebhook(after);
}

export async function deleteWebhook(deps: Deps, actor: Actor, id: string): Promise<void> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  const before = await mustFind(deps, user.tenantId, id);
  await deps.db.kysely.transaction().execute(async (trx) => {
    await repo.deleteWebhook(trx, user.tenantId, id);
    await recordAudit(trx, user, { tenantId: user.tenantId, action: 'webhook.delete', targetType: 'webhook', targetId: id, before: toApiWebhook(before) });
  });
  deps.bus.webhooksChanged(user.tenantId, id);
}

export async function getSecret(deps: Deps, actor: Actor, id: string) {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  const row = await mustFind(deps, user.tenantId, id);
  const open = openWebhookSecrets(deps.secrets, row);
  const previousLive = open.previousSecret && row.previous_secret_expires_at && Date.parse(row.previous_secret_expires_at) > Date.now();
  return {
    secret: open.secret,
    previous_secret: previousLive ? open.previousSecret : null,
    previous_secret_expires_at: previousLive ? apiTime(row.previous_secret_expires_at) : null,
  };
}

/** A new secret signs from now on; the old one also signs until the grace period ends. */
export async function rotateSecret(deps: Deps, actor: Actor, id: string) {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  const row = await mustFind(deps, user.tenantId, id);
  const current = openWebhookSecrets(deps.secrets, row).secret;
  const expires = new Date(Date.now() + deps.config.webhookSecretGraceMs).toISOString();
  await deps.db.kysely.transaction().execute(async (trx) => {
    await repo.updateWebhook(trx, user.tenantId, id, {
      secret: sealWebhookSecret(deps.secrets, user.tenantId, id, 'secret', generateSecret()),
      previous_secret: sealWebhookSecret(deps.secrets, user.tenantId, id, 'previous_secret', current),
      previous_secret_expires_at: expires,
      updated_at: nowIso(),
    });
    await recordAudit(trx, user, {
      tenantId: user.tenantId,
      action: 'webhook.rotate_secret',
      targetType: 'webhook',
      targetId: id,
      after: { previous_secret_expires_at: apiTime(expires) },
    });
  });
  deps.bus.webhooksChanged(user.tenantId, id);
  return getSecret(deps, actor, id);
}

export async function sendTest(deps: Deps, limits: WebhookLimits, actor: Actor, id: string): Promise<{ event_id: string; delivery_id: string }> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  await mustFind(deps, user.tenantId, id);
  limits.takeTest(id);
  return withOutbox(deps, async (trx, emit) => {
    const event = await emit({
      tenantId: user.tenantId,
      type: 'webhook.test',
      data: { webhook_id: id, message: 'This is a test event from WUTS.' },
      onlyWebhookId: id,
    });
    return { event_id: event.id, delivery_id: await repo.deliveryIdOfEvent(trx, user.tenantId, event.id, id) };
  });
}

export async function listDeliveries(
  deps: Deps,
  actor: Actor,
  webhookId: string,
  query: { limit?: number | undefined; cursor?: string | undefined; status?: string | undefined },
): Promise<Page<ApiDelivery>> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.read');
  await mustFind(deps, user.tenantId, webhookId);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await repo.listDeliveries(deps.db.kysely, user.tenantId, webhookId, { beforeId: decodeCursor(query.cursor), limit, status: query.status });
  const page = toPage(rows, limit);
  const attempts = await repo.attemptsOf(
    deps.db.kysely,
    user.tenantId,
    page.items.map((d) => d.id),
    10,
  );
  return { items: page.items.map((d) => toApiDelivery(d, attempts.get(d.id) ?? [])), nextCursor: page.nextCursor };
}

/** Sends a delivery again now, with the same webhook-id; a finished one starts a fresh schedule. */
export async function retryDelivery(deps: Deps, limits: WebhookLimits, actor: Actor, deliveryId: string): Promise<ApiDelivery> {
  const user = tenantUser(actor);
  authorize(user, 'webhooks.manage');
  const db = deps.db.kysely;
  const row = await repo.findDelivery(db, user.tenantId, deliveryId);
  if (!row) throw notFound('delivery');
  limits.takeRetry(user.tenantId);
  if (row.status === 'delivering') throw conflict('this delivery is being sent right now', 'delivery_in_progress');
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    const requeued = await repo.requeueDelivery(trx, user.tenantId, deliveryId, {
      status: 'pending',
      next_attempt_at: now,
      attempt_count: row.status === 'pending' ? row.attempt_count : 0,
      updated_at: now,
    });
    if (!requeued) throw conflict('this delivery is being sent right now', 'delivery_in_progress');
    await recordAudit(trx, user, { tenantId: user.tenantId, action: 'delivery.retry', targetType: 'delivery', targetId: deliveryId });
  });
  deps.bus.notify();
  const fresh = await repo.findDeliveryWithType(db, user.tenantId, deliveryId);
  const attempts = await repo.attemptsOf(db, user.tenantId, [deliveryId], 10);
  return toApiDelivery(fresh!, attempts.get(deliveryId) ?? []);
}
