import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, createUser } from '../helpers/factories.js';

const INVALID = { success: false, error: 'invalid email or password', code: 'invalid_credentials' };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ loginMaxFailuresPerAccount: 3, loginMaxFailuresPerAddress: 6, loginFailureWindowSeconds: 600 });
});
afterAll(async () => {
  await t.close();
});

function loginFrom(address: string, email: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/login', payload: { email, password }, remoteAddress: address });
}

describe('POST /login', () => {
  it('answers a session token with an expiry and the user, and the token works', async () => {
    const tenant = await createTenant(t);
    const res = await loginFrom('10.0.0.1', tenant.adminEmail.toUpperCase(), PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      success: true,
      user: expect.objectContaining({ id: tenant.adminId, tenant_id: tenant.tenantId, role: 'admin', active: true }),
      token: expect.stringMatching(/^wuts_tok_/),
      expires_at: expect.stringMatching(/Z$/),
    });
    const hours = (Date.parse(body.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(167);
    expect(hours).toBeLessThanOrEqual(168);
    const me = await t.call('GET', '/me', body.token);
    expect(me.json().user.email).toBe(tenant.adminEmail);
  });

  it('answers an unknown email and a wrong password identically, and spends similar time on both', async () => {
    const tenant = await createTenant(t);
    const unknownTimes: number[] = [];
    const wrongTimes: number[] = [];
    for (let i = 0; i < 2; i++) {
      let start = performance.now();
      const unknown = await loginFrom(`10.1.${i}.1`, `nobody-${i}@example.test`, 'whatever-password');
      unknownTimes.push(performance.now() - start);
      start = performance.now();
      const wrong = await loginFrom(`10.1.${i}.2`, tenant.adminEmail, 'wrong-password');
      wrongTimes.push(performance.now() - start);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(unknown.json()).toEqual(INVALID);
      expect(wrong.json()).toEqual(INVALID);
      expect(unknown.headers['content-length']).toBe(wrong.headers['content-length']);
    }
    // Both paths run an Argon2id verification (tens of milliseconds); skipping it for unknown
    // emails would make that path a few milliseconds. The bound is loose for a noisy machine.
    const min = (xs: number[]) => Math.min(...xs);
    expect(min(unknownTimes)).toBeGreaterThan(min(wrongTimes) * 0.3);
  });

  it('limits failures per account: 429 with Retry-After, even with the right password', async () => {
    const tenant = await createTenant(t);
    for (let i = 0; i < 3; i++) expect((await loginFrom(`10.2.0.${i}`, tenant.adminEmail, 'bad-password')).statusCode).toBe(401);
    const locked = await loginFrom('10.2.1.1', tenant.adminEmail, PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toEqual({ success: false, error: 'too many failed logins; try again later', code: 'rate_limited' });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
  });

  it('limits failures per address across accounts, and other addresses are not affected', async () => {
    const tenant = await createTenant(t);
    for (let i = 0; i < 6; i++) expect((await loginFrom('10.3.0.1', `ghost-${i}@example.test`, 'bad-password')).statusCode).toBe(401);
    const blocked = await loginFrom('10.3.0.1', tenant.adminEmail, PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await loginFrom('10.3.0.2', tenant.adminEmail, PASSWORD)).statusCode).toBe(200);
  });

  it('answers a deactivated user as a wrong password, whether its password is right or not, and counts it as a failure', async () => {
    const tenant = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent');
    await t.call('PUT', `/users/${agent.id}`, tenant.adminToken, { active: false });
    const right = await loginFrom('10.4.0.1', agent.email, PASSWORD);
    const wrong = await loginFrom('10.4.0.2', agent.email, 'wrong-password');
    for (const res of [right, wrong]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(INVALID);
    }
    expect(right.headers['content-length']).toBe(wrong.headers['content-length']);
    // The limit is 3: the right password counted as the first failure, the wrong one as the second.
    expect((await loginFrom('10.4.0.3', agent.email, PASSWORD)).json()).toEqual(INVALID);
    expect((await loginFrom('10.4.0.4', agent.email, PASSWORD)).statusCode).toBe(429);
  });

  it('refuses a suspended tenant (403) after checking the password', async () => {
    const tenant = await createTenant(t);
    await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: false });
    expect((await loginFrom('10.4.1.1', tenant.adminEmail, 'wrong-password')).json()).toEqual(INVALID);
    const suspended = await loginFrom('10.4.1.2', tenant.adminEmail, PASSWORD);
    expect(suspended.statusCode).toBe(403);
    expect(suspended.json().code).toBe('tenant_suspended');
  });

  it('validates its body', async () => {
    for (const payload of [{}, { email: 'a@b.test' }, { email: 'a@b.test', password: 'x', extra: true }, { email: 1, password: 'x' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/login', payload, remoteAddress: '10.5.0.1' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ success: false, code: 'invalid_request' });
    }
  });
});

describe('POST /logout', () => {
  it('revokes the token used, and only that one', async () => {
    const tenant = await createTenant(t);
    const session = (await loginFrom('10.6.0.1', tenant.adminEmail, PASSWORD)).json().token;
    expect((await t.call('POST', '/logout', session)).statusCode).toBe(200);
    const after = await t.call('GET', '/me', session);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ success: false, error: 'invalid or expired token', code: 'invalid_token' });
    expect((await t.call('GET', '/me', tenant.adminToken)).statusCode).toBe(200);
  });

  it('is for tenant users: 401 without a token, 403 for the master token', async () => {
    expect((await t.call('POST', '/logout')).statusCode).toBe(401);
    expect((await t.call('POST', '/logout', t.masterToken)).statusCode).toBe(403);
  });
});
