import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp({ maxQueuedPerDevice: 3 });
  tenant = await createTenant(t);
});
afterAll(async () => t.close());

const queuedOf = async (deviceId: string) => (await t.call('GET', `/devices/${deviceId}`, tenant.adminToken)).json().device.queued_messages;
const send = (deviceId: string, text: string) => t.call('POST', `/devices/${deviceId}/messages`, tenant.adminToken, { type: 'text', to: '15550009999', text });

it("the device's queued_messages follows every message into and out of the queue, and the limit with it", async () => {
  const deviceId = (await t.call('POST', '/devices', tenant.adminToken, { name: 'counter' })).json().device.id;
  expect(await queuedOf(deviceId)).toBe(0);
  const ids: string[] = [];
  for (const text of ['one', 'two', 'three']) {
    const res = await send(deviceId, text);
    expect(res.statusCode, res.body).toBe(202);
    ids.push(res.json().message.id);
  }
  expect(await queuedOf(deviceId)).toBe(3);
  expect((await send(deviceId, 'four')).json().code).toBe('queue_full');
  expect(await queuedOf(deviceId)).toBe(3); // a refused send takes no place

  expect((await t.call('POST', `/messages/${ids[0]}/cancel`, tenant.adminToken)).statusCode).toBe(200);
  expect((await t.call('POST', `/messages/${ids[0]}/cancel`, tenant.adminToken)).statusCode).toBe(409);
  expect(await queuedOf(deviceId)).toBe(2); // cancelled once, released once
  expect((await send(deviceId, 'four again')).statusCode).toBe(202);
  expect(await queuedOf(deviceId)).toBe(3);

  // a logged-out device's queued messages fail on the sweep and give their places back
  await t.deps.db.kysely.updateTable('devices').set({ status: 'logged_out' }).where('id', '=', deviceId).execute();
  await t.workers.sender.sweep();
  expect(await queuedOf(deviceId)).toBe(0);
  const failed = await Promise.all(ids.slice(1).map(async (id) => (await t.call('GET', `/messages/${id}`, tenant.adminToken)).json().message));
  expect(failed.map((m) => [m.status, m.reason.split(':')[0]])).toEqual([
    ['failed', 'device_logged_out'],
    ['failed', 'device_logged_out'],
  ]);
});
