import { withOutbox } from '../../src/events/outbox.js';
import { newId } from '../../src/lib/ids.js';
import { createWebhookDispatcher } from '../../src/workers/index.js';
import type { TestApp } from '../helpers/app.js';
import type { TenantFixture } from '../helpers/factories.js';

export const SCHEDULE = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** A clock the test moves by hand; it starts an hour ahead so every row written now is due. */
export class TestClock {
  ms = Date.now() + 3_600_000;
  now = () => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A dispatcher on the test's database, driven by drain() rather than its background loop. */
export function makeDispatcher(t: TestApp, clock: TestClock, overrides: Parameters<typeof createWebhookDispatcher>[1] = {}) {
  const dispatcher = createWebhookDispatcher(t.deps, {
    allowPrivate: true,
    timeoutMs: 1000,
    now: clock.now,
    scheduleMs: SCHEDULE,
    jitter: 0.1,
    random: () => 0.5, // the middle of the jitter band: planned delays exactly
    concurrency: 8,
    perWebhookConcurrency: 4,
    disableAfterMs: 72 * 3_600_000,
    eventRetentionDays: 7,
    ...overrides,
  });
  return { dispatcher, close: () => dispatcher.poster.close() };
}

export async function createWebhook(t: TestApp, tenant: TenantFixture, body: object): Promise<{ id: string; secret: string }> {
  const res = await t.call('POST', '/webhooks', tenant.adminToken, body);
  if (res.statusCode !== 201) throw new Error(res.body);
  const id = res.json().webhook.id as string;
  const secret = (await t.call('GET', `/webhooks/${id}/secret`, tenant.adminToken)).json().secret as string;
  return { id, secret };
}

export async function createDevice(t: TestApp, tenant: TenantFixture): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await t.deps.db.kysely
    .insertInto('devices')
    .values({ id, tenant_id: tenant.tenantId, name: 'test device', status: 'connected', created_at: now, updated_at: now })
    .execute();
  return id;
}

/** Emits a device event through the outbox, as the devices module will. */
export async function emitDeviceEvent(t: TestApp, tenant: TenantFixture, deviceId: string, n: number): Promise<string> {
  return withOutbox(t.deps, async (_trx, emit) => (await emit({ tenantId: tenant.tenantId, deviceId, type: 'device.connected', data: { n } })).id);
}

export async function deliveryRows(t: TestApp, webhookId: string) {
  return t.deps.db.kysely.selectFrom('deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('event_id').execute();
}
