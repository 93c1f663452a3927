import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
let other: TenantFixture;
let supervisor: UserFixture;
let agent: UserFixture;
let viewer: UserFixture;

beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true, maxWebhooksPerTenant: 3 });
  tenant = await createTenant(t);
  other = await createTenant(t);
  supervisor = await createUser(t, tenant, 'supervisor');
  agent = await createUser(t, tenant, 'agent');
  viewer = await createUser(t, tenant, 'viewer');
});
afterAll(async () => {
  await t.close();
});

async function makeWebhook(token = tenant.adminToken, body: object = { url: 'http://127.0.0.1:9/hook' }) {
  const res = await t.call('POST', '/webhooks', token, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().webhook as { id: string };
}

describe('webhooks API', () => {
  it('creates, reads, updates and deletes a webhook, never showing its secret outside /secret', async () => {
    const created = await t.call('POST', '/webhooks', tenant.adminToken, {
      url: 'http://127.0.0.1:9/hook',
      description: 'CRM',
      event_types: ['user.created', 'message.*'],
    });
    expect(created.statusCode).toBe(201);
    const hook = created.json().webhook;
    expect(hook).toEqual({
      id: expect.any(String),
      url: 'http://127.0.0.1:9/hook',
      description: 'CRM',
      event_types: ['user.created', 'message.*'],
      device_id: null,
      enabled: true,
      disabled_reason: null,
      failing_since: null,
      last_success_at: null,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    const secret = (await t.call('GET', `/webhooks/${hook.id}/secret`, tenant.adminToken)).json();
    expect(secret).toEqual({
      success: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      previous_secret: null,
      previous_secret_expires_at: null,
    });

    const list = await t.call('GET', '/webhooks', tenant.adminToken);
    expect(list.json().webhooks.map((w: { id: string }) => w.id)).toContain(hook.id);
    expect(list.body).not.toContain(secret.secret);
    expect(list.body).not.toContain('whsec_');

    const updated = await t.call('PUT', `/webhooks/${hook.id}`, tenant.adminToken, { event_types: null, enabled: false, description: null });
    expect(updated.json().webhook).toMatchObject({ event_types: null, enabled: false, description: null });
    expect((await t.call('DELETE', `/webhooks/${hook.id}`, tenant.adminToken)).json()).toEqual({ success: true });
    expect((await t.call('GET', `/webhooks/${hook.id}`, tenant.adminToken)).statusCode).toBe(404);
  });

  it('rotates the secret: the old one stays listed until its grace period ends', async () => {
    const hook = await makeWebhook();
    const before = (await t.call('GET', `/webhooks/${hook.id}/secret`, tenant.adminToken)).json().secret;
    const rotated = (await t.call('POST', `/webhooks/${hook.id}/rotate-secret`, tenant.adminToken)).json();
    expect(rotated.secret).not.toBe(before);
    expect(rotated.previous_secret).toBe(before);
    const hours = (Date.parse(rotated.previous_secret_expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    await t.call('DELETE', `/webhooks/${hook.id}`, tenant.adminToken);
  });

  it('supervisors read webhooks and deliveries only; agents and viewers get 403 everywhere', async () => {
    const hook = await makeWebhook();
    const deliveryId = newId();
    const reads: [string, string][] = [
      ['GET', '/webhooks'],
      ['GET', `/webhooks/${hook.id}`],
      ['GET', `/webhooks/${hook.id}/deliveries`],
    ];
    const writes: [string, string, object?][] = [
      ['POST', '/webhooks', { url: 'http://127.0.0.1:9/x' }],
      ['PUT', `/webhooks/${hook.id}`, { enabled: false }],
      ['DELETE', `/webhooks/${hook.id}`],
      ['GET', `/webhooks/${hook.id}/secret`],
      ['POST', `/webhooks/${hook.id}/rotate-secret`],
      ['POST', `/webhooks/${hook.id}/test`],
      ['POST', `/deliveries/${deliveryId}/retry`],
    ];
    for (const [method, url] of reads) expect((await t.call(method as 'GET', url, supervisor.token)).statusCode, `${method} ${url}`).toBe(200);
    for (const [method, url, body] of writes) {
      expect((await t.call(method as 'GET', url, supervisor.token, body)).statusCode, `supervisor ${method} ${url}`).toBe(403);
    }
    for (const user of [agent, viewer]) {
      for (const [method, url, body] of [...reads, ...writes]) {
        const res = await t.call(method as 'GET', url, user.token, body);
        expect(res.statusCode, `${user.role} ${method} ${url}`).toBe(403);
        expect(res.json().success).toBe(false);
      }
    }
    for (const [method, url, body] of [...reads, ...writes]) {
      expect((await t.call(method as 'GET', url, undefined, body)).statusCode, `anonymous ${method} ${url}`).toBe(401);
      expect((await t.call(method as 'GET', url, t.masterToken, body)).statusCode, `master ${method} ${url}`).toBe(403);
    }
    await t.call('DELETE', `/webhooks/${hook.id}`, tenant.adminToken);
  });

  it("answers 404 for another tenant's webhook, secret, deliveries and delivery retry", async () => {
    const hook = await makeWebhook();
    const test = (await t.call('POST', `/webhooks/${hook.id}/test`, tenant.adminToken)).json();
    expect(test.delivery_id).toBeTruthy();
    for (const [method, url, body] of [
      ['GET', `/webhooks/${hook.id}`],
      ['PUT', `/webhooks/${hook.id}`, { enabled: false }],
      ['DELETE', `/webhooks/${hook.id}`],
      ['GET', `/webhooks/${hook.id}/secret`],
      ['POST', `/webhooks/${hook.id}/rotate-secret`],
      ['POST', `/webhooks/${hook.id}/test`],
      ['GET', `/webhooks/${hook.id}/deliveries`],
      ['POST', `/deliveries/${test.delivery_id}/retry`],
    ] as [string, string, object?][]) {
      const res = await t.call(method as 'GET', url, other.adminToken, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toContain('whsec_');
    }
    expect((await t.call('GET', '/webhooks', other.adminToken)).json().webhooks).toEqual([]);
    await t.call('DELETE', `/webhooks/${hook.id}`, tenant.adminToken);
  });

  it('validates input: unknown event types, foreign devices, bad URLs, unknown fields', async () => {
    const foreignDevice = newId();
    await t.deps.db.kysely
      .insertInto('devices')
      .values({
        id: foreignDevice,
        tenant_id: other.tenantId,
        name: 'x',
        status: 'created',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      .execute();
    const cases: [object, string][] = [
      [{ url: 'http://127.0.0.1:9/x', event_types: ['user.exploded'] }, 'invalid_event_types'],
      [{ url: 'http://127.0.0.1:9/x', event_types: [] }, 'invalid_request'],
      [{ url: 'http://127.0.0.1:9/x', device_id: foreignDevice }, 'unknown_device'],
      [{ url: 'gopher://127.0.0.1:9/x' }, 'invalid_webhook_url'],
      [{ url: 'http://u:p@127.0.0.1:9/x' }, 'invalid_webhook_url'],
      [{ url: 'http://127.0.0.1:9/x', secret: 'whsec_mine' }, 'invalid_request'],
      [{}, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const res = await t.call('POST', '/webhooks', tenant.adminToken, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code, JSON.stringify(body)).toBe(code);
    }
    const hook = await makeWebhook();
    expect((await t.call('PUT', `/webhooks/${hook.id}`, tenant.adminToken, {})).statusCode).toBe(400);
    await t.call('DELETE', `/webhooks/${hook.id}`, tenant.adminToken);
  });

  it('limits webhooks per tenant (409)', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await makeWebhook()).id);
    const over = await t.call('POST', '/webhooks', tenant.adminToken, { url: 'http://127.0.0.1:9/x' });
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('webhook_limit_reached');
    for (const id of ids) await t.call('DELETE', `/webhooks/${id}`, tenant.adminToken);
  });
});
