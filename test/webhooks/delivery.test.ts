import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, type TenantFixture } from '../helpers/factories.js';
import { sealWebhookSecret } from '../../src/webhooks/secrets.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';
import { SCHEDULE, TestClock, createWebhook, deliveryRows, makeDispatcher } from './dispatch-helpers.js';

let t: TestApp;
let receiver: WebhookReceiver;
let tenant: TenantFixture;
let clock: TestClock;
let d: ReturnType<typeof makeDispatcher>;

beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true, maxWebhooksPerTenant: 50 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});
beforeEach(async () => {
  tenant = await createTenant(t);
  clock = new TestClock();
  d = makeDispatcher(t, clock);
  receiver.respondWith('ok');
  receiver.requests.length = 0;
});
afterEach(async () => {
  await d.close();
});

async function addUser(tag: string): Promise<string> {
  const res = await t.call('POST', '/users', tenant.adminToken, {
    email: `${tag}-${Date.now()}-${Math.random()}@example.test`,
    password: PASSWORD,
    role: 'agent',
  });
  return res.json().user.id;
}

async function eventIdsOf(type: string): Promise<string[]> {
  const rows = await t.deps.db.kysely
    .selectFrom('events')
    .select('id')
    .where('tenant_id', '=', tenant.tenantId)
    .where('type', '=', type)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

describe('webhook delivery', () => {
  it('POSTs the event signed by the Standard Webhooks scheme', async () => {
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.setSecrets(hook.secret);
    const userId = await addUser('signed');
    await d.dispatcher.drain();

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.verified).toBe(true);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.payload).toEqual({
      id: req.webhookId,
      type: 'user.created',
      version: 1,
      tenant_id: tenant.tenantId,
      device_id: null,
      timestamp: expect.stringMatching(/Z$/),
      data: expect.objectContaining({ id: userId, role: 'agent', active: true }),
    });
    expect(req.webhookId).toBe((await eventIdsOf('user.created')).at(-1));
    expect(Math.abs(Number(req.webhookTimestamp) - Date.now() / 1000)).toBeLessThan(10);

    const listed = (await t.call('GET', `/webhooks/${hook.id}/deliveries`, tenant.adminToken)).json().deliveries;
    expect(listed).toEqual([
      expect.objectContaining({
        event_id: req.webhookId,
        event_type: 'user.created',
        status: 'succeeded',
        attempt_count: 1,
        last_status_code: 204,
        last_error: null,
      }),
    ]);
    expect(listed[0].attempts).toEqual([{ attempted_at: expect.any(String), status_code: 204, latency_ms: expect.any(Number), error: null }]);
    expect((await t.call('GET', `/webhooks/${hook.id}`, tenant.adminToken)).json().webhook.last_success_at).toMatch(/Z$/);
  });

  it('retries after 500s on the schedule, then succeeds', async () => {
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.setSecrets(hook.secret);
    receiver.respondWith('error');
    await addUser('retried');
    const start = clock.ms;
    await d.dispatcher.drain();
    expect(receiver.requests).toHaveLength(1);

    for (let attempt = 1; attempt <= 3; attempt++) {
      const [row] = await deliveryRows(t, hook.id);
      expect(row).toMatchObject({ status: 'pending', attempt_count: attempt, last_status_code: 500 });
      expect(Date.parse(row!.next_attempt_at) - clock.ms).toBe(SCHEDULE[attempt]);
      clock.advance(SCHEDULE[attempt]! - 1);
      await d.dispatcher.drain();
      expect(receiver.requests, `nothing before the time of attempt ${attempt + 1}`).toHaveLength(attempt);
      clock.advance(1);
      if (attempt === 3) receiver.respondWith('ok');
      await d.dispatcher.drain();
      expect(receiver.requests).toHaveLength(attempt + 1);
    }
    const [done] = await deliveryRows(t, hook.id);
    expect(done).toMatchObject({ status: 'succeeded', attempt_count: 4, last_status_code: 204 });
    expect(clock.ms - start).toBe(SCHEDULE[1]! + SCHEDULE[2]! + SCHEDULE[3]!);
    expect(new Set(receiver.requests.map((r) => r.webhookId)).size).toBe(1);
    expect(receiver.unverified()).toEqual([]);
    const attempts = (await t.call('GET', `/webhooks/${hook.id}/deliveries`, tenant.adminToken)).json().deliveries[0].attempts;
    expect(attempts.map((a: { status_code: number }) => a.status_code)).toEqual([204, 500, 500, 500]);
  });

  it('applies jitter within ±10% and honours a longer Retry-After', async () => {
    const low = makeDispatcher(t, clock, { random: () => 0 });
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.respondWith('error');
    await addUser('jitter');
    await low.dispatcher.drain();
    let [row] = await deliveryRows(t, hook.id);
    expect(Date.parse(row!.next_attempt_at) - clock.ms).toBe(SCHEDULE[1]! * 0.9);
    await low.close();

    receiver.respondWith({ status: 503, headers: { 'retry-after': '120' } });
    clock.advance(SCHEDULE[1]!);
    await d.dispatcher.drain();
    [row] = await deliveryRows(t, hook.id);
    expect(row!.attempt_count).toBe(2);
    expect(Date.parse(row!.next_attempt_at) - clock.ms).toBe(300_000); // planned 5 min > 120 s asked
    receiver.respondWith({ status: 429, headers: { 'retry-after': '7200' } });
    clock.advance(300_000);
    await d.dispatcher.drain();
    [row] = await deliveryRows(t, hook.id);
    expect(Date.parse(row!.next_attempt_at) - clock.ms).toBe(7_200_000); // asked 2 h > planned 30 min
  });

  it('counts a timeout as a failure and retries', async () => {
    const fast = makeDispatcher(t, clock, { timeoutMs: 300 });
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.respondWith('hang');
    await addUser('timeout');
    await fast.dispatcher.drain();
    const [row] = await deliveryRows(t, hook.id);
    expect(row).toMatchObject({ status: 'pending', attempt_count: 1, last_status_code: null, last_error: 'timeout after 300 ms' });
    await fast.close();
  });

  it('fails a delivery after the last attempt; a manual retry redelivers it with the same webhook-id', async () => {
    const short = makeDispatcher(t, clock, { scheduleMs: [0, 1000] });
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.setSecrets(hook.secret);
    receiver.respondWith('error');
    await addUser('exhausted');
    await short.dispatcher.drain();
    clock.advance(1000);
    await short.dispatcher.drain();
    let [row] = await deliveryRows(t, hook.id);
    expect(row).toMatchObject({ status: 'failed', attempt_count: 2 });

    receiver.respondWith('ok');
    const retried = await t.call('POST', `/deliveries/${row!.id}/retry`, tenant.adminToken);
    expect(retried.statusCode).toBe(202);
    expect(retried.json().delivery).toMatchObject({ id: row!.id, status: 'pending', attempt_count: 0 });
    await short.dispatcher.drain();
    [row] = await deliveryRows(t, hook.id);
    expect(row!.status).toBe('succeeded');
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.webhookId)).size).toBe(1);
    expect(receiver.requests.at(-1)!.verified).toBe(true);

    // A succeeded delivery can be sent again too.
    expect((await t.call('POST', `/deliveries/${row!.id}/retry`, tenant.adminToken)).statusCode).toBe(202);
    await short.dispatcher.drain();
    expect(receiver.requests).toHaveLength(4);
    expect(receiver.requests[3]!.webhookId).toBe(receiver.requests[0]!.webhookId);
    await short.close();
  });

  it('disables the webhook on 410 Gone, and resumes when re-enabled', async () => {
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.respondWith('gone');
    await addUser('gone');
    await d.dispatcher.drain();
    const webhook = (await t.call('GET', `/webhooks/${hook.id}`, tenant.adminToken)).json().webhook;
    expect(webhook).toMatchObject({ enabled: false, disabled_reason: 'the receiver answered 410 Gone' });
    expect((await deliveryRows(t, hook.id))[0]).toMatchObject({ status: 'failed', last_status_code: 410 });

    await addUser('while-disabled');
    await d.dispatcher.drain();
    expect(receiver.requests).toHaveLength(1);

    receiver.respondWith('ok');
    const enabled = await t.call('PUT', `/webhooks/${hook.id}`, tenant.adminToken, { enabled: true });
    expect(enabled.json().webhook).toMatchObject({ enabled: true, disabled_reason: null });
    await addUser('after');
    await d.dispatcher.drain();
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]!.status).toBe(204);
  });

  it('disables a webhook that has failed for longer than the limit, with the reason', async () => {
    const strict = makeDispatcher(t, clock, { disableAfterMs: 60_000 });
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.respondWith('error');
    await addUser('long-failure');
    await strict.dispatcher.drain();
    expect((await t.call('GET', `/webhooks/${hook.id}`, tenant.adminToken)).json().webhook).toMatchObject({ enabled: true, failing_since: expect.any(String) });
    clock.advance(SCHEDULE[1]!);
    await strict.dispatcher.drain();
    clock.advance(SCHEDULE[2]!);
    await strict.dispatcher.drain();
    const webhook = (await t.call('GET', `/webhooks/${hook.id}`, tenant.adminToken)).json().webhook;
    expect(webhook.enabled).toBe(false);
    expect(webhook.disabled_reason).toMatch(/^no successful delivery since .*; last error: receiver answered 500$/);
    await strict.close();
  });

  it('filters by event type, and sends test events whatever the filter', async () => {
    const hook = await createWebhook(t, tenant, { url: receiver.url, event_types: ['user.updated'] });
    receiver.setSecrets(hook.secret);
    const userId = await addUser('filtered');
    await t.call('PUT', `/users/${userId}`, tenant.adminToken, { role: 'viewer' });
    const test = await t.call('POST', `/webhooks/${hook.id}/test`, tenant.adminToken);
    expect(test.statusCode).toBe(202);
    await d.dispatcher.drain();
    // Test events have an order key of their own: they may arrive before or after the others.
    expect(receiver.requests.map((r) => r.payload?.type).sort()).toEqual(['user.updated', 'webhook.test']);
    expect(receiver.requests.find((r) => r.payload?.type === 'webhook.test')!.payload).toMatchObject({
      id: test.json().event_id,
      data: { webhook_id: hook.id },
    });
    expect(receiver.unverified()).toEqual([]);
  });

  it('signs with both secrets during a rotation, and with the new one only afterwards', async () => {
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    const rotated = (await t.call('POST', `/webhooks/${hook.id}/rotate-secret`, tenant.adminToken)).json();
    receiver.setSecrets(hook.secret, rotated.secret);
    await addUser('rotation');
    await d.dispatcher.drain();
    expect(receiver.requests[0]!.verifiedWith.sort()).toEqual([hook.secret, rotated.secret].sort());

    await t.deps.db.kysely
      .updateTable('webhooks')
      .set({ previous_secret_expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', hook.id)
      .execute();
    clock.ms = Date.now(); // the grace period is judged on the dispatcher's clock
    await addUser('after-grace');
    clock.advance(1000);
    await d.dispatcher.drain();
    expect(receiver.requests[1]!.verifiedWith).toEqual([rotated.secret]);
    expect((await t.call('GET', `/webhooks/${hook.id}/secret`, tenant.adminToken)).json().previous_secret).toBeNull();
  });

  it('does not follow redirects and keeps at most 64 KB of a response body', async () => {
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    receiver.respondWith({ status: 302, headers: { location: `http://127.0.0.1:${receiver.port}/elsewhere` } });
    await addUser('redirect');
    await d.dispatcher.drain();
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook']);
    expect((await deliveryRows(t, hook.id))[0]).toMatchObject({ status: 'pending', last_status_code: 302, last_error: 'receiver answered 302' });

    receiver.respondWith({ status: 200, body: 'x'.repeat(200_000) });
    clock.advance(SCHEDULE[1]!);
    await d.dispatcher.drain();
    const [row] = await deliveryRows(t, hook.id);
    const attempt = await t.deps.db.kysely
      .selectFrom('delivery_attempts')
      .selectAll()
      .where('delivery_id', '=', row!.id)
      .where('status_code', '=', 200)
      .executeTakeFirstOrThrow();
    expect(attempt.response_body).toHaveLength(64 * 1024);
  });

  it('refuses private targets at connect time, on the address actually used', async () => {
    const guarded = makeDispatcher(t, clock, { allowPrivate: false });
    const now = new Date().toISOString();
    for (const [id, url] of [
      ['01890000-0000-7000-8000-000000000001', `http://localhost:${receiver.port}/hook`],
      ['01890000-0000-7000-8000-000000000002', `http://127.0.0.1:${receiver.port}/hook`],
      ['01890000-0000-7000-8000-000000000003', `http://[::ffff:127.0.0.1]:${receiver.port}/hook`],
    ] as const) {
      // Written directly, as a URL that passed the save-time check and later resolved elsewhere would be.
      await t.deps.db.kysely
        .insertInto('webhooks')
        .values({
          id,
          tenant_id: tenant.tenantId,
          url,
          description: null,
          event_types_json: null,
          device_id: null,
          enabled: true,
          disabled_reason: null,
          secret: sealWebhookSecret(t.deps.secrets, tenant.tenantId, id, 'secret', 'whsec_' + Buffer.alloc(32).toString('base64')),
          previous_secret: null,
          previous_secret_expires_at: null,
          failing_since: null,
          last_success_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await addUser('ssrf');
    await guarded.dispatcher.drain();
    expect(receiver.requests).toEqual([]);
    const rows = await t.deps.db.kysely.selectFrom('deliveries').select(['webhook_id', 'last_error']).where('tenant_id', '=', tenant.tenantId).execute();
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.last_error).toMatch(/^refused: .*(loopback|IPv4-mapped) address$/);
    await guarded.close();
  });
});
