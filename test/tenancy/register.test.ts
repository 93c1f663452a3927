import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const TOKEN = /^wuts_tok_[A-Za-z0-9_-]{32}$/;

// The seed's curl example, byte for byte.
const SEED_BODY =
  '{ "tenant_name": "Acme Atendimento", "email": "admin@acme.com.br", "password": "s3nh4-f0rte", "role": "admin", "webhook_url": "https://acme.com.br/wuts/webhook" }';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('POST /register', () => {
  it('answers the seed example with exactly the seed shape', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.masterToken}` },
      payload: SEED_BODY,
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    // Same fields, in the seed's order.
    expect(Object.keys(body)).toEqual(['success', 'user', 'tenant', 'token', 'webhook_configured', 'webhook_url', 'note']);
    expect(Object.keys(body.user)).toEqual(['id', 'tenant_id', 'email', 'role', 'token', 'active', 'created_at', 'updated_at']);
    expect(Object.keys(body.tenant)).toEqual(['id', 'name', 'created_at', 'updated_at']);
    expect(body).toEqual({
      success: true,
      user: {
        id: expect.stringMatching(UUID),
        tenant_id: body.tenant.id,
        email: 'admin@acme.com.br',
        role: 'admin',
        token: body.token,
        active: true,
        created_at: expect.stringMatching(RFC3339),
        updated_at: expect.stringMatching(RFC3339),
      },
      tenant: {
        id: expect.stringMatching(UUID),
        name: 'Acme Atendimento',
        created_at: expect.stringMatching(RFC3339),
        updated_at: expect.stringMatching(RFC3339),
      },
      token: expect.stringMatching(TOKEN),
      webhook_configured: true,
      webhook_url: 'https://acme.com.br/wuts/webhook',
      note: 'Webhook will be auto-configured when WhatsApp device is connected',
    });

    // The token works, and the staged webhook is kept with the tenant.
    const me = await t.call('GET', '/me', body.token);
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(body.user.id);
    const tenant = await t.call('GET', `/tenants/${body.tenant.id}`, t.masterToken);
    expect(tenant.json().tenant.staged_webhook_url).toBe('https://acme.com.br/wuts/webhook');
  });

  it('answers 409 with the seed message for an existing name, compared trimmed and case-insensitively', async () => {
    await createTenant(t, 'Globex Corp');
    for (const name of ['Globex Corp', '  globex corp ', 'GLOBEX CORP']) {
      const res = await t.call('POST', '/register', t.masterToken, { tenant_name: name, email: `x${Math.random()}@example.test`, password: 'password-1' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        success: false,
        error: 'tenant already exists - please contact your administrator to create an account',
        code: 'tenant_exists',
      });
    }
  });

  it('answers 409 for an email already registered, in any case', async () => {
    const first = await createTenant(t);
    const res = await t.call('POST', '/register', t.masterToken, { tenant_name: 'Another One', email: first.adminEmail.toUpperCase(), password: 'password-1' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ success: false, error: 'email already registered', code: 'email_taken' });
  });

  it('makes the first user admin whatever role says, and stages no webhook without a URL', async () => {
    const res = await t.call('POST', '/register', t.masterToken, {
      tenant_name: 'Viewer First',
      email: 'vf@example.test',
      password: 'password-1',
      role: 'viewer',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user.role).toBe('admin');
    expect(body.webhook_configured).toBe(false);
    expect(body.webhook_url).toBeNull();
    expect(body).not.toHaveProperty('note');
  });

  it('answers 401 "master token required" without a token or with a wrong one', async () => {
    for (const token of [undefined, 'nope', 'wuts_tok_notarealtoken000000000000000000']) {
      const res = await t.call('POST', '/register', token, { tenant_name: 'No Auth', email: 'na@example.test', password: 'password-1' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ success: false, error: 'master token required', code: 'master_token_required' });
    }
  });

  it('answers 403 "master token required" for a valid tenant user token', async () => {
    const tenant = await createTenant(t);
    const res = await t.call('POST', '/register', tenant.adminToken, { tenant_name: 'By User', email: 'bu@example.test', password: 'password-1' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ success: false, error: 'master token required', code: 'master_token_required' });
  });

  it('refuses bad webhook URLs and bad fields with 400', async () => {
    const cases = [
      { webhook_url: 'ftp://example.com/x' },
      { webhook_url: 'https://user:pw@example.com/x' },
      { webhook_url: 'not a url' },
      { webhook_url: 'http://127.0.0.1:8080/hook' },
      { webhook_url: 'http://169.254.169.254/latest' },
      { role: 'owner' },
      { extra: 1 },
      { password: 'short' },
      { email: 'not-an-email' },
      { tenant_name: '   ' },
      { tenant_name: 42 },
    ];
    for (const extra of cases) {
      const res = await t.call('POST', '/register', t.masterToken, { tenant_name: 'Bad Input', email: 'bi@example.test', password: 'password-1', ...extra });
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().success).toBe(false);
    }
  });
});
