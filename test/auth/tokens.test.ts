import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, createUser, login } from '../helpers/factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ maxTokensPerUser: 4 });
});
afterAll(async () => {
  await t.close();
});

describe('/me/tokens', () => {
  it('creates a token shown once, lists it by name and last 4 characters, and records its use', async () => {
    const tenant = await createTenant(t);
    const created = await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'CRM integration', expires_in_days: 30 });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.token).toMatch(/^wuts_tok_[A-Za-z0-9_-]{32}$/);
    expect(body.api_token).toEqual({
      id: expect.any(String),
      name: 'CRM integration',
      kind: 'api',
      last4: body.token.slice(-4),
      created_at: expect.stringMatching(/Z$/),
      last_used_at: null,
      expires_at: expect.stringMatching(/Z$/),
      current: false,
    });

    expect((await t.call('GET', '/me', body.token)).statusCode).toBe(200);
    const list = await t.call('GET', '/me/tokens', tenant.adminToken);
    expect(list.statusCode).toBe(200);
    const listed = list.json().tokens.find((x: { id: string }) => x.id === body.api_token.id);
    expect(listed.last_used_at).toMatch(/Z$/);
    expect(list.body).not.toContain(body.token);
    expect(list.json().tokens.filter((x: { current: boolean }) => x.current)).toHaveLength(1);

    // Only a hash is stored.
    const rows = await t.deps.db.kysely.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(body.token);
    expect(JSON.stringify(rows)).not.toContain(tenant.adminToken);
  });

  it('revokes a token: it answers 401 on the next request', async () => {
    const tenant = await createTenant(t);
    const { token, api_token } = (await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'temp' })).json();
    expect((await t.call('DELETE', `/me/tokens/${api_token.id}`, tenant.adminToken)).statusCode).toBe(200);
    expect((await t.call('GET', '/me', token)).statusCode).toBe(401);
    expect((await t.call('DELETE', `/me/tokens/${api_token.id}`, tenant.adminToken)).statusCode).toBe(404);
  });

  it("answers 404 for another user's token, in the same tenant or another", async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent');
    const { api_token } = (await t.call('POST', '/me/tokens', agent.token, { name: 'mine' })).json();
    for (const token of [tenant.adminToken, other.adminToken]) {
      const res = await t.call('DELETE', `/me/tokens/${api_token.id}`, token);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ success: false, error: 'token not found', code: 'not_found' });
    }
  });

  it('stops working when expired', async () => {
    const tenant = await createTenant(t);
    const { token, api_token } = (await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'short', expires_in_days: 1 })).json();
    await t.deps.db.kysely
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', api_token.id)
      .execute();
    expect((await t.call('GET', '/me', token)).statusCode).toBe(401);
  });

  it('limits API tokens per user (409) and keeps only the newest login sessions', async () => {
    const tenant = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent'); // one session
    for (let i = 0; i < 4; i++) expect((await t.call('POST', '/me/tokens', agent.token, { name: `t${i}` })).statusCode).toBe(201);
    const over = await t.call('POST', '/me/tokens', agent.token, { name: 'one too many' });
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('token_limit_reached');

    const sessions: string[] = [agent.token];
    for (let i = 0; i < 5; i++) sessions.push(await login(t, agent.email));
    // Four sessions are kept (the limit): the two oldest were revoked.
    expect((await t.call('GET', '/me', sessions[0])).statusCode).toBe(401);
    expect((await t.call('GET', '/me', sessions[1])).statusCode).toBe(401);
    for (const s of sessions.slice(2)) expect((await t.call('GET', '/me', s)).statusCode).toBe(200);
  });

  it('validates bodies and ids, and is for tenant users only', async () => {
    const tenant = await createTenant(t);
    expect((await t.call('POST', '/me/tokens', tenant.adminToken, { name: '' })).statusCode).toBe(400);
    expect((await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'x', expires_in_days: 0 })).statusCode).toBe(400);
    expect((await t.call('POST', '/me/tokens', tenant.adminToken, { name: 'x', scope: 'all' })).statusCode).toBe(400);
    expect((await t.call('DELETE', '/me/tokens/123', tenant.adminToken)).statusCode).toBe(400);
    expect((await t.call('GET', '/me/tokens')).statusCode).toBe(401);
    expect((await t.call('GET', '/me/tokens', t.masterToken)).statusCode).toBe(403);
  });
});

describe('PUT /me/password', () => {
  it('needs the current password, then logs in with the new one and ends other sessions', async () => {
    const tenant = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent');
    const otherSession = await login(t, agent.email);
    const { token: apiToken } = (await t.call('POST', '/me/tokens', agent.token, { name: 'api' })).json();

    const wrong = await t.call('PUT', '/me/password', agent.token, { current_password: 'not-it', new_password: 'a-new-password' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('wrong_password');
    expect((await t.call('PUT', '/me/password', agent.token, { current_password: PASSWORD, new_password: 'short' })).statusCode).toBe(400);

    const ok = await t.call('PUT', '/me/password', agent.token, { current_password: PASSWORD, new_password: 'a-new-password' });
    expect(ok.statusCode).toBe(200);
    expect((await t.call('GET', '/me', agent.token)).statusCode).toBe(200);
    expect((await t.call('GET', '/me', otherSession)).statusCode).toBe(401);
    expect((await t.call('GET', '/me', apiToken)).statusCode).toBe(200);
    expect((await t.call('POST', '/login', undefined, { email: agent.email, password: PASSWORD })).statusCode).toBe(401);
    await login(t, agent.email, 'a-new-password');
  });
});

describe('PUT /me/password guesses', () => {
  it('counts wrong current passwords as failed logins of the account (429)', async () => {
    const limited = await createTestApp({ loginMaxFailuresPerAccount: 2 });
    try {
      const tenant = await createTenant(limited);
      for (let i = 0; i < 2; i++) {
        expect(
          (await limited.call('PUT', '/me/password', tenant.adminToken, { current_password: `guess-${i}`, new_password: 'a-new-password' })).statusCode,
        ).toBe(403);
      }
      const blocked = await limited.call('PUT', '/me/password', tenant.adminToken, { current_password: PASSWORD, new_password: 'a-new-password' });
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.call('POST', '/login', undefined, { email: tenant.adminEmail, password: PASSWORD })).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('GET /me', () => {
  it('answers the caller without secrets', async () => {
    const tenant = await createTenant(t);
    const res = await t.call('GET', '/me', tenant.adminToken);
    expect(res.json()).toEqual({
      success: true,
      user: {
        id: tenant.adminId,
        tenant_id: tenant.tenantId,
        email: tenant.adminEmail,
        role: 'admin',
        active: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    });
  });
});
