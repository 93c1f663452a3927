import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, createUser, login, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { scanningCaller } from '../helpers/assertions.js';
import { createTarget, masterUpdate, uniqueEmail } from '../helpers/users.js';

// Every /users route refuses a caller that is not (or no longer) a working tenant user:
// no token, a wrong token, a revoked token (401), a deactivated user (401 on its very next
// request, working again after reactivation), a suspended tenant (403, working again after).

let t: TestApp;
let call: ReturnType<typeof scanningCaller>;
let tenant: TenantFixture;
let victim: { id: string };

beforeAll(async () => {
  t = await createTestApp();
  call = scanningCaller(t);
  tenant = await createTenant(t);
  victim = await createTarget(t, tenant, 'agent');
});
afterAll(async () => {
  await t.close();
});

/** The five user routes, aimed at `victim` (which stays untouched when every call is refused). */
const routes = () =>
  [
    ['POST', '/users', { email: uniqueEmail('never'), password: PASSWORD, role: 'viewer' }],
    ['GET', '/users', undefined],
    ['GET', `/users/${victim.id}`, undefined],
    ['PUT', `/users/${victim.id}`, { active: false }],
    ['DELETE', `/users/${victim.id}`, undefined],
  ] as const;

/** Calls every route with `token` and expects exactly `envelope` with `status`. */
async function expectAllRefused(token: string | undefined, status: number, envelope: object, headers?: Record<string, string>): Promise<void> {
  for (const [method, url, body] of routes()) {
    const res = await call(method, url, token, body, headers);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    expect(res.json(), `${method} ${url}`).toEqual(envelope);
  }
  // Nothing was changed by the refused calls.
  const still = await call('GET', `/users/${victim.id}`, t.masterToken);
  expect(still.json().user).toMatchObject({ id: victim.id, role: 'agent', active: true });
}

const NO_TOKEN = { success: false, error: 'authentication required', code: 'unauthorized' };
const BAD_TOKEN = { success: false, error: 'invalid or expired token', code: 'invalid_token' };
const INACTIVE = { success: false, error: 'user is deactivated', code: 'user_inactive' };
const SUSPENDED = { success: false, error: 'tenant is suspended', code: 'tenant_suspended' };

describe('no token or a wrong token', () => {
  it('answers 401 without an Authorization header', async () => {
    await expectAllRefused(undefined, 401, NO_TOKEN);
  });

  it.each([
    ['a random string', 'nope'],
    ['a well-formed token that was never issued', 'wuts_tok_' + 'A'.repeat(32)],
    ['the master token with one character more', '__MASTER__x'],
    ['a user token with its last character changed', '__ADMIN_MUTATED__'],
  ])('answers 401 for %s', async (_name, raw) => {
    const token =
      raw === '__MASTER__x'
        ? t.masterToken + 'x'
        : raw === '__ADMIN_MUTATED__'
          ? tenant.adminToken.slice(0, -1) + (tenant.adminToken.endsWith('A') ? 'B' : 'A')
          : raw;
    await expectAllRefused(token, 401, BAD_TOKEN);
  });

  it('answers 401 for a non-Bearer scheme', async () => {
    for (const [method, url, body] of routes()) {
      const res = await call(method, url, undefined, body, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().success).toBe(false);
    }
  });
});

describe('revoked tokens', () => {
  it("answers 401 for a token revoked with DELETE /me/tokens/{id}, while the user's other token keeps working", async () => {
    const admin = await createUser(t, tenant, 'admin');
    const made = await call('POST', '/me/tokens', admin.token, { name: 'ci' });
    expect(made.statusCode, made.body).toBe(201);
    const apiToken: string = made.json().token;
    expect((await call('GET', '/users', apiToken)).statusCode).toBe(200);

    const revoked = await call('DELETE', `/me/tokens/${made.json().api_token.id}`, admin.token);
    expect(revoked.statusCode, revoked.body).toBe(200);
    await expectAllRefused(apiToken, 401, BAD_TOKEN);
    expect((await call('GET', '/users', admin.token)).statusCode).toBe(200);
  });

  it('answers 401 for a token after POST /logout with it', async () => {
    const admin = await createUser(t, tenant, 'admin');
    expect((await call('GET', '/users', admin.token)).statusCode).toBe(200);
    const out = await call('POST', '/logout', admin.token);
    expect(out.statusCode, out.body).toBe(200);
    await expectAllRefused(admin.token, 401, BAD_TOKEN);
  });
});

describe('a deactivated user', () => {
  let admin: UserFixture;
  beforeAll(async () => {
    admin = await createUser(t, tenant, 'admin');
  });

  it('is refused (401) on its very next request, on every route, and works again after reactivation', async () => {
    expect((await call('GET', '/users', admin.token)).statusCode).toBe(200);
    const off = await call('PUT', `/users/${admin.id}`, tenant.adminToken, { active: false });
    expect(off.statusCode, off.body).toBe(200);
    await expectAllRefused(admin.token, 401, INACTIVE);
    expect((await call('GET', '/me', admin.token)).statusCode).toBe(401);

    const on = await call('PUT', `/users/${admin.id}`, tenant.adminToken, { active: true });
    expect(on.statusCode, on.body).toBe(200);
    // The same token (not revoked) works again, for reading and for changing.
    const list = await call('GET', '/users', admin.token);
    expect(list.statusCode, list.body).toBe(200);
    expect((await call('GET', `/users/${victim.id}`, admin.token)).statusCode).toBe(200);
    const made = await call('POST', '/users', admin.token, { email: uniqueEmail('after'), password: PASSWORD, role: 'viewer' });
    expect(made.statusCode, made.body).toBe(201);
    const upd = await call('PUT', `/users/${made.json().user.id}`, admin.token, { role: 'agent' });
    expect(upd.statusCode, upd.body).toBe(200);
  });

  it('cannot log in while deactivated (answered as a wrong password, not to tell that it was right), and can again after', async () => {
    await masterUpdate(t, admin.id, { active: false });
    const res = await call('POST', '/login', undefined, { email: admin.email, password: PASSWORD });
    expect(res.statusCode, res.body).toBe(401);
    expect(res.json()).toEqual({ success: false, error: 'invalid email or password', code: 'invalid_credentials' });
    await masterUpdate(t, admin.id, { active: true });
    expect(await login(t, admin.email)).toMatch(/^wuts_tok_/);
  });
});

describe('a suspended tenant', () => {
  it('answers 403 to its users on every route, keeps other tenants and the master token working, and recovers on reactivation', async () => {
    const other = await createTenant(t);
    const supervisor = await createUser(t, tenant, 'supervisor');
    const suspend = await call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: false });
    expect(suspend.statusCode, suspend.body).toBe(200);
    expect(suspend.json().tenant.active).toBe(false);

    await expectAllRefused(tenant.adminToken, 403, SUSPENDED);
    await expectAllRefused(supervisor.token, 403, SUSPENDED);
    expect((await call('GET', '/users', other.adminToken)).statusCode).toBe(200);
    const master = await call('GET', `/users?tenant_id=${tenant.tenantId}`, t.masterToken);
    expect(master.statusCode, master.body).toBe(200);

    const resume = await call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: true });
    expect(resume.statusCode, resume.body).toBe(200);
    expect((await call('GET', '/users', tenant.adminToken)).statusCode).toBe(200);
    expect((await call('GET', `/users/${victim.id}`, supervisor.token)).statusCode).toBe(200);
    const upd = await call('PUT', `/users/${victim.id}`, supervisor.token, { role: 'viewer' });
    expect(upd.statusCode, upd.body).toBe(200);
    await masterUpdate(t, victim.id, { role: 'agent' });
  });
});
