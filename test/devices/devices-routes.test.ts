import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { closedPort } from '../helpers/ports.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
let other: TenantFixture;
let users: Record<'supervisor' | 'agent' | 'viewer', UserFixture>;

beforeAll(async () => {
  t = await createTestApp({ waWsUrl: `ws://127.0.0.1:${await closedPort()}/ws/chat`, maxDevicesPerTenant: 3, connectAttemptsPerMinute: 3 });
  tenant = await createTenant(t);
  other = await createTenant(t);
  users = {
    supervisor: await createUser(t, tenant, 'supervisor'),
    agent: await createUser(t, tenant, 'agent'),
    viewer: await createUser(t, tenant, 'viewer'),
  };
});
afterAll(async () => {
  await t.close();
});

async function newDevice(token = tenant.adminToken, name = 'Sales'): Promise<{ id: string }> {
  const res = await t.call('POST', '/devices', token, { name });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().device;
}

describe('devices API', () => {
  it('creates, lists and reads devices, each in status created', async () => {
    const res = await t.call('POST', '/devices', tenant.adminToken, { name: 'Support line' });
    expect(res.statusCode).toBe(201);
    const device = res.json().device;
    expect(device).toEqual({
      id: expect.any(String),
      tenant_id: tenant.tenantId,
      name: 'Support line',
      status: 'created',
      reason: null,
      phone: null,
      jid: null,
      lid: null,
      connected_at: null,
      disconnected_at: null,
      send_interval_ms: null,
      queued_messages: 0,
      restriction: null,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    for (const u of [tenant.adminToken, users.supervisor.token, users.agent.token, users.viewer.token]) {
      expect((await t.call('GET', `/devices/${device.id}`, u)).json().device).toEqual(device);
      expect((await t.call('GET', '/devices?status=created', u)).json().devices.map((d: { id: string }) => d.id)).toContain(device.id);
    }
    await t.call('DELETE', `/devices/${device.id}`, tenant.adminToken);
  });

  it('lets agents and viewers only read; supervisors connect and disconnect only', async () => {
    const device = await newDevice();
    const admin = [
      ['POST', '/devices', { name: 'x' }],
      ['DELETE', `/devices/${device.id}`],
      ['POST', `/devices/${device.id}/logout`],
    ] as const;
    const connectors = [
      ['POST', `/devices/${device.id}/connect`, {}],
      ['GET', `/devices/${device.id}/qr`],
      ['POST', `/devices/${device.id}/disconnect`],
    ] as const;
    for (const role of ['agent', 'viewer'] as const) {
      for (const [method, url, body] of [...admin, ...connectors]) {
        const res = await t.call(method, url, users[role].token, body);
        expect(res.statusCode, `${role} ${method} ${url}`).toBe(403);
      }
    }
    for (const [method, url, body] of admin) {
      expect((await t.call(method, url, users.supervisor.token, body)).statusCode, `supervisor ${method} ${url}`).toBe(403);
    }
    // The supervisor connects (WhatsApp is unreachable here: the device ends up disconnected) and disconnects.
    const connected = await t.call('POST', `/devices/${device.id}/connect`, users.supervisor.token, {});
    expect(connected.statusCode).toBe(200);
    expect(connected.json()).toMatchObject({ success: true, qr: null, pairing_code: null, device: { id: device.id } });
    expect(['connecting', 'disconnected']).toContain(connected.json().device.status);
    const disconnected = await t.call('POST', `/devices/${device.id}/disconnect`, users.supervisor.token);
    expect(disconnected.statusCode).toBe(200);
    expect(disconnected.json().device).toMatchObject({ status: 'disconnected', reason: 'disconnected by request' });
    expect(t.workers.devices.isRunning(device.id)).toBe(false);
    const noQr = await t.call('GET', `/devices/${device.id}/qr`, users.supervisor.token);
    expect(noQr.statusCode).toBe(409);
    expect(noQr.json()).toEqual({ success: false, error: 'the device has no QR code to show: it is disconnected', code: 'no_qr' });
    await t.call('DELETE', `/devices/${device.id}`, tenant.adminToken);
  });

  it("answers 404 for another tenant's device on every route, 403 for the master token, 401 without a token", async () => {
    const device = await newDevice();
    const routes = [
      ['GET', `/devices/${device.id}`],
      ['DELETE', `/devices/${device.id}`],
      ['POST', `/devices/${device.id}/connect`, {}],
      ['GET', `/devices/${device.id}/qr`],
      ['POST', `/devices/${device.id}/disconnect`],
      ['POST', `/devices/${device.id}/logout`],
    ] as const;
    for (const [method, url, body] of routes) {
      const res = await t.call(method, url, other.adminToken, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toEqual({ success: false, error: 'device not found', code: 'not_found' });
      expect((await t.call(method, url, t.masterToken, body)).statusCode).toBe(403);
      expect((await t.call(method, url, undefined, body)).statusCode).toBe(401);
    }
    expect((await t.call('GET', '/devices', other.adminToken)).json().devices).toEqual([]);
    expect((await t.call('GET', `/devices/${device.id}`, tenant.adminToken)).json().device.status).toBe('created');
    await t.call('DELETE', `/devices/${device.id}`, tenant.adminToken);
  });

  it('disables the webhooks filtered on a deleted device, saying why', async () => {
    const local = await createTestApp({ allowPrivateWebhooks: true });
    try {
      const owner = await createTenant(local);
      const id = (await local.call('POST', '/devices', owner.adminToken, { name: 'filtered' })).json().device.id;
      const hook = (await local.call('POST', '/webhooks', owner.adminToken, { url: 'http://127.0.0.1:9/hook', device_id: id })).json().webhook;
      const other = (await local.call('POST', '/webhooks', owner.adminToken, { url: 'http://127.0.0.1:9/all' })).json().webhook;
      expect((await local.call('DELETE', `/devices/${id}`, owner.adminToken)).statusCode).toBe(200);
      expect((await local.call('GET', `/webhooks/${hook.id}`, owner.adminToken)).json().webhook).toMatchObject({
        enabled: false,
        disabled_reason: 'its device was deleted',
      });
      expect((await local.call('GET', `/webhooks/${other.id}`, owner.adminToken)).json().webhook).toMatchObject({ enabled: true, disabled_reason: null });
    } finally {
      await local.close();
    }
  });

  it('validates input and enforces the limits', async () => {
    for (const body of [{}, { name: '' }, { name: 'x', extra: 1 }, { name: 5 }]) {
      expect((await t.call('POST', '/devices', tenant.adminToken, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await newDevice(tenant.adminToken, `d${i}`)).id);
    const over = await t.call('POST', '/devices', tenant.adminToken, { name: 'too many' });
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('device_limit_reached');

    expect((await t.call('POST', `/devices/${ids[0]}/connect`, tenant.adminToken, { phone_number: '12ab' })).statusCode).toBe(400);
    for (let i = 0; i < 3; i++) {
      expect((await t.call('POST', `/devices/${ids[0]}/connect`, tenant.adminToken, {})).statusCode).toBe(200);
      await t.call('POST', `/devices/${ids[0]}/disconnect`, tenant.adminToken);
    }
    const limited = await t.call('POST', `/devices/${ids[0]}/connect`, tenant.adminToken, {});
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    for (const id of ids) expect((await t.call('DELETE', `/devices/${id}`, tenant.adminToken)).statusCode).toBe(200);
    expect((await t.call('GET', '/devices', tenant.adminToken)).json().devices).toEqual([]);
  });
});
