import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: false });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const REFUSED = [
  'http://127.0.0.1/hook',
  'http://127.1/hook',
  'http://2130706433/hook',
  'http://0x7f000001/hook',
  'http://0177.0.0.1/hook',
  'http://localhost:8080/hook',
  'http://api.localhost/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://[::ffff:7f00:1]/hook',
  'http://[::ffff:10.0.0.1]/hook',
  'http://[::]/hook',
  'http://0.0.0.0/hook',
  'http://10.1.2.3/hook',
  'http://172.16.5.4/hook',
  'http://192.168.0.10/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://100.64.0.1/hook',
  'http://224.0.0.1/hook',
  'http://[fe80::1]/hook',
  'http://[fc00::1]/hook',
  'http://[ff02::1]/hook',
  'http://[64:ff9b::7f00:1]/hook',
  'ftp://example.com/hook',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'https://user:secret@example.com/hook',
  'not a url',
];

describe('SSRF protection', () => {
  it.each(REFUSED)('refuses %s at save time', async (url) => {
    const res = await t.call('POST', '/webhooks', tenant.adminToken, { url });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, code: 'invalid_webhook_url' });
  });

  it('accepts public addresses and names that do not resolve yet', async () => {
    for (const url of ['https://93.184.215.14/hook', 'https://acme.com.br/wuts/webhook', 'https://[2606:4700::1111]/x']) {
      const res = await t.call('POST', '/webhooks', tenant.adminToken, { url });
      expect(res.statusCode, url).toBe(201);
      await t.call('DELETE', `/webhooks/${res.json().webhook.id}`, tenant.adminToken);
    }
  });

  it('refuses the same forms on update', async () => {
    const hook = (await t.call('POST', '/webhooks', tenant.adminToken, { url: 'https://93.184.215.14/hook' })).json().webhook;
    const res = await t.call('PUT', `/webhooks/${hook.id}`, tenant.adminToken, { url: 'http://169.254.169.254/' });
    expect(res.statusCode).toBe(400);
    await t.call('DELETE', `/webhooks/${hook.id}`, tenant.adminToken);
  });
});
