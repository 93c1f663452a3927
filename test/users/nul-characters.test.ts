import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

// PostgreSQL text cannot hold NUL: such input must be a 400 on both databases, never a 500.
describe('NUL characters in input', () => {
  it.each([
    ['POST', '/devices', { name: 'a\u0000b' }],
    ['POST', '/me/tokens', { name: 'a\u0000b' }],
    ['POST', '/users', { email: 'nul@example.test', password: 'pass\u0000word', role: 'agent' }],
    ['GET', '/audit?action=%00', undefined],
  ] as const)('%s %s answers 400', async (method, url, body) => {
    const res = await t.call(method, url, tenant.adminToken, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, error: 'text must not contain NUL characters', code: 'invalid_characters' });
  });

  it('the master token routes too', async () => {
    const res = await t.call('POST', '/register', t.masterToken, { tenant_name: 'Nul\u0000Co', email: 'n@example.test', password: 'password-1' });
    expect(res.statusCode).toBe(400);
    expect((await t.call('GET', '/tenants?name_prefix=%00', t.masterToken)).statusCode).toBe(400);
    expect((await t.call('GET', '/health')).statusCode).toBe(200);
  });
});
