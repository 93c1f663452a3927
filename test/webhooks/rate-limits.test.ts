import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true, webhookTestsPerMinute: 2, deliveryRetriesPerMinute: 3 });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

async function makeWebhook(): Promise<string> {
  const res = await t.call('POST', '/webhooks', tenant.adminToken, { url: 'http://127.0.0.1:9/hook' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().webhook.id;
}

function expectLimited(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }) {
  expect(res.statusCode).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(res.json()).toMatchObject({ success: false, code: 'rate_limited' });
}

describe('rate limits on webhook tests and delivery retries', () => {
  it('answers 429 with Retry-After to the (N+1)th test of one webhook in a minute; another webhook is not affected', async () => {
    const hook = await makeWebhook();
    for (let i = 0; i < 2; i++) expect((await t.call('POST', `/webhooks/${hook}/test`, tenant.adminToken)).statusCode).toBe(202);
    expectLimited(await t.call('POST', `/webhooks/${hook}/test`, tenant.adminToken));
    expect((await t.call('POST', `/webhooks/${await makeWebhook()}/test`, tenant.adminToken)).statusCode).toBe(202);
  });

  it("answers 429 with Retry-After to the (N+1)th delivery retry of a tenant in a minute; another tenant's are not affected", async () => {
    const hook = await makeWebhook();
    const other = await createTenant(t);
    const otherHook = (await t.call('POST', '/webhooks', other.adminToken, { url: 'http://127.0.0.1:9/hook' })).json().webhook.id as string;
    const delivery = (await t.call('POST', `/webhooks/${hook}/test`, tenant.adminToken)).json().delivery_id as string;
    for (let i = 0; i < 3; i++) expect((await t.call('POST', `/deliveries/${delivery}/retry`, tenant.adminToken)).statusCode).toBe(202);
    expectLimited(await t.call('POST', `/deliveries/${delivery}/retry`, tenant.adminToken));
    const otherDelivery = (await t.call('POST', `/webhooks/${otherHook}/test`, other.adminToken)).json().delivery_id as string;
    expect((await t.call('POST', `/deliveries/${otherDelivery}/retry`, other.adminToken)).statusCode).toBe(202);
  });
});
