// The dispatcher sends each webhook and order key in runs (a claimed head and the deliveries
// queued behind it), with the webhook kept in memory and the outcomes written in batches. These
// tests pin what that must not change: a change to a webhook applies to the very next request,
// even in the middle of a run, and the order per key holds when requests fail and are retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/receiver.js';
import { SCHEDULE, TestClock, createDevice, createWebhook, deliveryRows, emitDeviceEvent, makeDispatcher } from './dispatch-helpers.js';

let t: TestApp;
let first: WebhookReceiver;
let second: WebhookReceiver;
beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true });
  first = await startReceiver();
  second = await startReceiver();
});
afterAll(async () => {
  await first.close();
  await second.close();
  await t.close();
});

const ids = (requests: ReceivedRequest[]) => requests.map((r) => r.webhookId);

/**
 * Five events of one device queued for a webhook on `first`, which takes 300 ms to answer; the
 * dispatcher runs in the background. Once the first request has arrived (the run holds the other
 * four), `change` is made through the API; then the test waits until the dispatcher is idle.
 */
async function changeDuringRun(change: (tenant: TenantFixture, hookId: string, secret: string) => Promise<void>) {
  const tenant = await createTenant(t);
  const clock = new TestClock();
  const d = makeDispatcher(t, clock, { runTurnMs: 60_000 }); // one run holds the five
  const hook = await createWebhook(t, tenant, { url: first.url, event_types: ['device.*'] });
  for (const r of [first, second]) {
    r.setSecrets(hook.secret);
    r.requests.length = 0;
    r.respondWith({ status: 204, delayMs: 300 });
  }
  const device = await createDevice(t, tenant);
  const events: string[] = [];
  for (let i = 0; i < 5; i++) events.push(await emitDeviceEvent(t, tenant, device, i));
  d.dispatcher.start();
  try {
    await first.waitFor((r) => r.requests.length >= 1, 10_000, 'the first request of the run');
    await change(tenant, hook.id, hook.secret);
    await d.dispatcher.drain(); // waits for the run in flight, and sends whatever is due
  } finally {
    await d.dispatcher.stop();
    await d.close();
  }
  return { tenant, hook, events };
}

describe('webhook changes reach the dispatcher at once', () => {
  it('a new URL takes the next request of a run in flight', async () => {
    const { hook, events } = await changeDuringRun(async (tenant, id) => {
      expect((await t.call('PUT', `/webhooks/${id}`, tenant.adminToken, { url: second.url })).statusCode).toBe(200);
    });
    expect(ids(first.requests)).toEqual([events[0]]);
    expect(ids(second.requests)).toEqual(events.slice(1));
    expect([...first.requests, ...second.requests].every((r) => r.verified)).toBe(true);
    expect((await deliveryRows(t, hook.id)).map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
  });

  it('a rotated secret signs the next request of a run in flight', async () => {
    let rotated = '';
    const { events } = await changeDuringRun(async (tenant, id, old) => {
      const res = await t.call('POST', `/webhooks/${id}/rotate-secret`, tenant.adminToken);
      expect(res.statusCode).toBe(200);
      rotated = res.json().secret as string;
      first.setSecrets(old, rotated);
    });
    expect(ids(first.requests)).toEqual(events);
    expect(first.requests[0]!.verifiedWith).toHaveLength(1);
    for (const r of first.requests.slice(1)) expect(r.verifiedWith.sort()).toEqual([first.requests[0]!.verifiedWith[0]!, rotated].sort());
    expect(first.unverified()).toEqual([]);
  });

  it('disabling stops a run in flight before its next request; enabling sends the rest, in order', async () => {
    const { tenant, hook, events } = await changeDuringRun(async (tenant, id) => {
      expect((await t.call('PUT', `/webhooks/${id}`, tenant.adminToken, { enabled: false })).statusCode).toBe(200);
    });
    expect(ids(first.requests)).toEqual([events[0]]);
    expect((await deliveryRows(t, hook.id)).map((r) => r.status)).toEqual(['succeeded', 'pending', 'pending', 'pending', 'pending']);

    first.respondWith('ok');
    expect((await t.call('PUT', `/webhooks/${hook.id}`, tenant.adminToken, { enabled: true })).statusCode).toBe(200);
    const d = makeDispatcher(t, new TestClock());
    await d.dispatcher.drain();
    await d.close();
    expect(ids(first.requests)).toEqual(events);
  });

  it('deleting stops a run in flight before its next request', async () => {
    const { hook, events } = await changeDuringRun(async (tenant, id) => {
      expect((await t.call('DELETE', `/webhooks/${id}`, tenant.adminToken)).statusCode).toBe(200);
    });
    expect(ids(first.requests)).toEqual([events[0]]);
    expect(await deliveryRows(t, hook.id)).toEqual([]);
  });
});

describe('webhook changes made by another node', () => {
  it('apply from the next claim, though no event reached this node: the claim reads the webhook row with the delivery', async () => {
    const tenant = await createTenant(t);
    const clock = new TestClock();
    const d = makeDispatcher(t, clock);
    const hook = await createWebhook(t, tenant, { url: first.url, event_types: ['device.*'] });
    for (const r of [first, second]) {
      r.setSecrets(hook.secret);
      r.requests.length = 0;
      r.respondWith('ok');
    }
    const device = await createDevice(t, tenant);
    const e1 = await emitDeviceEvent(t, tenant, device, 1);
    await d.dispatcher.drain(); // the webhook is in memory now
    // Another node's PUT: the row changes, this node's bus hears nothing.
    await t.deps.db.kysely
      .updateTable('webhooks')
      .set({ url: second.url, updated_at: new Date(Date.now() + 1000).toISOString() })
      .where('id', '=', hook.id)
      .execute();
    const e2 = await emitDeviceEvent(t, tenant, device, 2);
    await d.dispatcher.drain();
    await d.close();
    expect(ids(first.requests)).toEqual([e1]);
    expect(ids(second.requests)).toEqual([e2]);
    expect(second.unverified()).toEqual([]);
  });
});

describe('order per key with runs and batched outcomes', () => {
  it('first successful arrivals follow event order per device when some requests fail and are retried', async () => {
    const tenant = await createTenant(t);
    const clock = new TestClock();
    const d = makeDispatcher(t, clock, { runLength: 6 });
    const hook = await createWebhook(t, tenant, { url: first.url, event_types: ['device.*'] });
    first.setSecrets(hook.secret);
    first.requests.length = 0;
    const devices = [await createDevice(t, tenant), await createDevice(t, tenant), await createDevice(t, tenant)];
    const byDevice = new Map<string, string[]>(devices.map((id) => [id, []]));
    const deviceOf = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const device = devices[i % 3]!;
      const id = await emitDeviceEvent(t, tenant, device, i);
      byDevice.get(device)!.push(id);
      deviceOf.set(id, device);
    }
    // Every 7th event is refused (500) the first time it arrives, twice for every 21st.
    const order = [...deviceOf.keys()];
    const refusals = new Map(order.map((id, i) => [id, i % 21 === 0 ? 2 : i % 7 === 0 ? 1 : 0]));
    first.respondWith((req) => {
      const left = refusals.get(req.webhookId!) ?? 0;
      if (left === 0) return 'ok';
      refusals.set(req.webhookId!, left - 1);
      return 'error';
    });

    for (let round = 0; round < 12; round++) {
      await d.dispatcher.drain();
      if ((await deliveryRows(t, hook.id)).every((r) => r.status === 'succeeded')) break;
      clock.advance(SCHEDULE[2]!); // past the wait after a first and after a second failure
    }
    await d.close();
    expect((await deliveryRows(t, hook.id)).map((r) => r.status)).toEqual(Array(60).fill('succeeded'));
    expect(first.unverified()).toEqual([]);
    expect(first.requests.filter((r) => r.status === 500)).toHaveLength(
      order.filter((_, i) => i % 7 === 0).length + order.filter((_, i) => i % 21 === 0).length,
    );

    for (const device of devices) {
      const expected = byDevice.get(device)!;
      const requests = first.requests.filter((r) => deviceOf.get(r.webhookId!) === device);
      const firstSuccesses = requests.filter((r) => r.status === 204).map((r) => r.webhookId);
      expect(firstSuccesses).toEqual(expected); // each exactly once, in event order
      // Nothing of the device was sent while an earlier event of it was still owed.
      const positions = requests.map((r) => expected.indexOf(r.webhookId!));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    // Every attempt is recorded, failures included.
    const attempts = await t.deps.db.kysely
      .selectFrom('delivery_attempts as a')
      .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('d.webhook_id', '=', hook.id)
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(first.requests.length);
  });
});
