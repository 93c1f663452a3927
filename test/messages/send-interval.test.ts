import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
});
afterAll(async () => t.close());

it("a device's pace is shown on the device and every change of it is audited", async () => {
  const deviceId = (await t.call('POST', '/devices', tenant.adminToken, { name: 'paced' })).json().device.id;
  const set = await t.call('PUT', `/devices/${deviceId}/send-interval`, tenant.adminToken, { send_interval_ms: 2500 });
  expect(set.json()).toEqual({ success: true, send_interval_ms: 2500, effective_ms: 2500 });
  expect((await t.call('GET', `/devices/${deviceId}`, tenant.adminToken)).json().device.send_interval_ms).toBe(2500);
  await t.call('PUT', `/devices/${deviceId}/send-interval`, tenant.adminToken, { send_interval_ms: null });
  expect((await t.call('GET', `/devices/${deviceId}`, tenant.adminToken)).json().device.send_interval_ms).toBeNull();

  const audit = (await t.call('GET', '/audit', tenant.adminToken)).json().entries.filter((e: any) => e.action === 'device.send_interval');
  expect(audit.map((e: any) => [e.target_id, e.before, e.after])).toEqual([
    [deviceId, { send_interval_ms: 2500 }, { send_interval_ms: null }],
    [deviceId, { send_interval_ms: null }, { send_interval_ms: 2500 }],
  ]);
});
