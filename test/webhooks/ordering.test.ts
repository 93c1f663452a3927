import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';
import { SCHEDULE, TestClock, createDevice, createWebhook, deliveryRows, emitDeviceEvent, makeDispatcher } from './dispatch-helpers.js';

let t: TestApp;
let receiver: WebhookReceiver;
beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

describe('delivery order', () => {
  it("keeps each device's order under retries, without holding back other devices", async () => {
    const tenant = await createTenant(t);
    const clock = new TestClock();
    const d = makeDispatcher(t, clock);
    const hook = await createWebhook(t, tenant, { url: receiver.url, event_types: ['device.*'] });
    receiver.setSecrets(hook.secret);
    const deviceA = await createDevice(t, tenant);
    const deviceB = await createDevice(t, tenant);

    const a1 = await emitDeviceEvent(t, tenant, deviceA, 1);
    const a2 = await emitDeviceEvent(t, tenant, deviceA, 2);
    const b1 = await emitDeviceEvent(t, tenant, deviceB, 1);
    const a3 = await emitDeviceEvent(t, tenant, deviceA, 3);
    // The first delivery of a1 fails; everything else succeeds.
    let failedOnce = false;
    receiver.respondWith((req) => {
      if (req.webhookId === a1 && !failedOnce) {
        failedOnce = true;
        return 'error';
      }
      return 'ok';
    });

    await d.dispatcher.drain();
    // a1 and b1 have different order keys, so they are sent side by side: either may arrive first
    expect(receiver.requests.map((r) => r.webhookId).sort()).toEqual([a1, b1].sort());
    const pending = (await deliveryRows(t, hook.id)).filter((r) => r.status === 'pending').map((r) => r.event_id);
    expect(pending).toEqual([a1, a2, a3]);

    clock.advance(SCHEDULE[1]!);
    await d.dispatcher.drain();
    const delivered = receiver.requests.filter((r) => r.status === 204).map((r) => r.webhookId);
    expect(delivered).toEqual([b1, a1, a2, a3]);
    expect(receiver.unverified()).toEqual([]);
    await d.close();
  });

  it("sends one device's burst in order with several requests allowed per webhook", async () => {
    const tenant = await createTenant(t);
    const clock = new TestClock();
    const d = makeDispatcher(t, clock, { perWebhookConcurrency: 4, concurrency: 16 });
    const hook = await createWebhook(t, tenant, { url: receiver.url, event_types: ['device.connected'] });
    receiver.setSecrets(hook.secret);
    receiver.requests.length = 0;
    receiver.respondWith({ status: 204, delayMs: 5 });
    const device = await createDevice(t, tenant);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await emitDeviceEvent(t, tenant, device, i));
    await d.dispatcher.drain();
    expect(receiver.requests.map((r) => r.webhookId)).toEqual(ids);
    await d.close();
  });
});
