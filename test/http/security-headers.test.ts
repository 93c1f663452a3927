import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

function expectSecretHeaders(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

describe('security headers', () => {
  it('answers every token and secret with Cache-Control: no-store', async () => {
    const email = `headers-${Date.now()}@example.test`;
    expectSecretHeaders(await t.call('POST', '/register', t.masterToken, { tenant_name: `Headers ${Date.now()}`, email, password: PASSWORD }), 201);
    expectSecretHeaders(await t.call('POST', '/login', undefined, { email, password: PASSWORD }), 200);
    expectSecretHeaders(await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'ci' }), 201);
    const hook = await t.call('POST', '/webhooks', tenant.adminToken, { url: 'http://127.0.0.1:9/hook' });
    expect(hook.statusCode).toBe(201);
    const id = hook.json().webhook.id as string;
    expectSecretHeaders(await t.call('GET', `/webhooks/${id}/secret`, tenant.adminToken), 200);
    expectSecretHeaders(await t.call('POST', `/webhooks/${id}/rotate-secret`, tenant.adminToken), 200);
  });

  it('sends X-Content-Type-Options: nosniff on ordinary answers, errors and unknown routes, without no-store', async () => {
    for (const res of [
      await t.call('GET', '/health'),
      await t.call('GET', '/devices', tenant.adminToken),
      await t.call('GET', '/devices'),
      await t.call('GET', '/nope'),
      await t.call('GET', '/users/%E0%A4%A'),
    ]) {
      expect(res.headers['x-content-type-options'], `${res.statusCode} ${res.body}`).toBe('nosniff');
    }
    expect((await t.call('GET', '/devices', tenant.adminToken)).headers['cache-control']).toBeUndefined();
  });
});
