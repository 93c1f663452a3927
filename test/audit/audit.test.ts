import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser } from '../helpers/factories.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('GET /audit', () => {
  it("records who changed what, when, before and after, for the tenant's admins", async () => {
    const tenant = await createTenant(t);
    const supervisor = await createUser(t, tenant, 'supervisor');
    const agent = (await t.call('POST', '/users', supervisor.token, { email: `a-${Date.now()}@example.test`, password: 'password-1', role: 'agent' })).json()
      .user;
    await t.call('PUT', `/users/${agent.id}`, supervisor.token, { role: 'viewer' });
    await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { name: 'Audited Renamed' });

    const res = await t.call('GET', '/audit', tenant.adminToken);
    expect(res.statusCode).toBe(200);
    const entries = res.json().entries;
    const update = entries.find((e: { action: string }) => e.action === 'user.update');
    expect(update).toEqual({
      id: expect.any(String),
      tenant_id: tenant.tenantId,
      actor: { type: 'user', user_id: supervisor.id, email: supervisor.email, role: 'supervisor' },
      action: 'user.update',
      target_type: 'user',
      target_id: agent.id,
      before: expect.objectContaining({ id: agent.id, role: 'agent', active: true }),
      after: expect.objectContaining({ id: agent.id, role: 'viewer', active: true }),
      created_at: expect.stringMatching(/Z$/),
    });
    const rename = entries.find((e: { action: string }) => e.action === 'tenant.update');
    expect(rename).toMatchObject({ actor: { type: 'master', user_id: null }, before: { active: true }, after: { name: 'Audited Renamed' } });
    expect(entries.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['tenant.register', 'user.create', 'user.update', 'tenant.update']),
    );
    // Newest first.
    expect(entries[0].action).toBe('tenant.update');
    // Never a secret.
    expect(res.body).not.toMatch(/password_hash|token_hash|\$argon2|wuts_tok_/);
  });

  it('shows a tenant only its own entries; the master token sees all or one tenant', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    await createUser(t, b, 'agent');
    const mine = (await t.call('GET', '/audit', a.adminToken)).json().entries;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e: { tenant_id: string }) => e.tenant_id === a.tenantId)).toBe(true);
    expect((await t.call('GET', `/audit?tenant_id=${b.tenantId}`, a.adminToken)).statusCode).toBe(400);

    const forB = (await t.call('GET', `/audit?tenant_id=${b.tenantId}`, t.masterToken)).json().entries;
    expect(forB.map((e: { action: string }) => e.action)).toEqual(['user.create', 'tenant.register']);
    const all = (await t.call('GET', '/audit?limit=500', t.masterToken)).json().entries;
    expect(all.some((e: { tenant_id: string }) => e.tenant_id === a.tenantId)).toBe(true);
    expect(all.some((e: { tenant_id: string }) => e.tenant_id === b.tenantId)).toBe(true);
  });

  it('keeps a platform entry when a tenant is deleted', async () => {
    const doomed = await createTenant(t, 'Doomed Audit');
    await t.call('DELETE', `/tenants/${doomed.tenantId}`, t.masterToken);
    const entries = (await t.call('GET', '/audit?action=tenant.delete', t.masterToken)).json().entries;
    expect(entries).toContainEqual(
      expect.objectContaining({ tenant_id: null, target_id: doomed.tenantId, before: expect.objectContaining({ name: 'Doomed Audit' }), after: null }),
    );
  });

  it('paginates newest first without gaps or repeats', async () => {
    const tenant = await createTenant(t);
    for (let i = 0; i < 5; i++) await t.call('POST', '/me/tokens', tenant.adminToken, { name: `t${i}` });
    const ids: string[] = [];
    let cursor: string | null = null;
    let rounds = 0;
    do {
      const page: { entries: { id: string }[]; next_cursor: string | null } = (
        await t.call('GET', `/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`, tenant.adminToken)
      ).json();
      ids.push(...page.entries.map((e: { id: string }) => e.id));
      cursor = page.next_cursor;
    } while (cursor && ++rounds < 10);
    expect(ids).toHaveLength(6); // tenant.register + 5 token.create
    expect(new Set(ids).size).toBe(6);
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  it('is refused to supervisors, agents and viewers (403) and without a token (401)', async () => {
    const tenant = await createTenant(t);
    for (const role of ['supervisor', 'agent', 'viewer'] as const) {
      const u = await createUser(t, tenant, role);
      expect((await t.call('GET', '/audit', u.token)).statusCode).toBe(403);
    }
    expect((await t.call('GET', '/audit')).statusCode).toBe(401);
  });
});
