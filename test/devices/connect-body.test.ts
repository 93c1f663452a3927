import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { closedPort } from '../helpers/ports.js';
import { createDevice } from '../messages/api-helpers.js';

/**
 * POST /devices/{id}/connect takes no body: none, an empty one (also with Content-Type
 * application/json), {} and its known options all start the connection, as disconnect needs none.
 */
let t: TestApp;
let tenant: TenantFixture;
let deviceId: string;

beforeAll(async () => {
  // WhatsApp is unreachable here: each connect starts, fails and leaves the device disconnected
  t = await createTestApp({ waWsUrl: `ws://127.0.0.1:${await closedPort()}/ws/chat` });
  tenant = await createTenant(t);
  deviceId = await createDevice(t, tenant.adminToken, 'Sales');
});
afterAll(async () => {
  await t.close();
});

const url = () => `/devices/${deviceId}/connect`;

async function connectWith(body: unknown, headers: Record<string, string> = {}) {
  const res = await t.call('POST', url(), tenant.adminToken, body, headers);
  const disconnected = await t.call('POST', `/devices/${deviceId}/disconnect`, tenant.adminToken);
  expect(disconnected.statusCode, disconnected.body).toBe(200);
  return res;
}

describe('POST /devices/{id}/connect without a body', () => {
  it.each([
    ['no body at all', undefined, {}],
    ['an empty body with Content-Type application/json', '', { 'content-type': 'application/json' }],
    ['a blank body with Content-Type application/json', '  \n', { 'content-type': 'application/json' }],
    ['{}', {}, {}],
  ])('%s: connects', async (_name, body, headers) => {
    const res = await connectWith(body, headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ success: true, device: { id: deviceId }, pairing_code: null });
  });

  it('its known options still work, and unknown ones are named', async () => {
    const res = await connectWith({ phone_number: '5511987654321' });
    expect(res.statusCode, res.body).not.toBe(400);
    const bad = await connectWith({ phone: '5511987654321' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ success: false, error: 'unknown field "phone" (allowed: phone_number)', code: 'invalid_request' });
  });

  it('the OpenAPI document marks its body optional, and bodies with required fields required', async () => {
    const doc = (await t.call('GET', '/openapi.json')).json();
    expect(doc.paths['/devices/{id}/connect'].post.requestBody.required).toBe(false);
    expect(doc.paths['/devices'].post.requestBody.required).toBe(true);
  });

  it('disconnect needs no body either', async () => {
    const res = await t.call('POST', `/devices/${deviceId}/disconnect`, tenant.adminToken, '', { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(200);
  });
});
