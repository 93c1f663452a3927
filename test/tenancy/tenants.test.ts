import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser } from '../helpers/factories.js';
import { newId } from '../../src/lib/ids.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('GET /tenants', () => {
  it('lists every tenant with counts, walking pages with next_cursor', async () => {
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await createTenant(t, `Paged ${i}`));
    await createUser(t, created[0]!, 'agent');
    await t.deps.db.kysely
      .insertInto('devices')
      .values([
        {
          id: newId(),
          tenant_id: created[0]!.tenantId,
          name: 'a',
          status: 'connected',
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        },
        {
          id: newId(),
          tenant_id: created[0]!.tenantId,
          name: 'b',
          status: 'disconnected',
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        },
      ])
      .execute();

    const seen: { id: string; name: string; user_count: number; device_count: number; connected_device_count: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.call('GET', `/tenants?limit=3&name_prefix=paged${cursor ? `&cursor=${cursor}` : ''}`, t.masterToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.tenants.length).toBeLessThanOrEqual(3);
      seen.push(...body.tenants);
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.map((x) => x.name)).toEqual(created.map((_, i) => `Paged ${i}`));
    expect(seen[0]).toMatchObject({ user_count: 2, device_count: 2, connected_device_count: 1, active: true, staged_webhook_url: null });
    expect(seen[1]).toMatchObject({ user_count: 1, device_count: 0, connected_device_count: 0 });
  });

  it('filters by name prefix (case-insensitive, wildcards literal) and by active', async () => {
    const a = await createTenant(t, 'Filter_Alpha');
    await createTenant(t, 'FilterXBeta');
    const c = await createTenant(t, 'filter_gamma');
    await t.call('PUT', `/tenants/${c.tenantId}`, t.masterToken, { active: false });

    const names = async (query: string) => (await t.call('GET', `/tenants?${query}`, t.masterToken)).json().tenants.map((x: { name: string }) => x.name);
    expect(await names('name_prefix=FILTER_')).toEqual(['Filter_Alpha', 'filter_gamma']);
    expect(await names('name_prefix=filter&active=false')).toEqual(['filter_gamma']);
    expect(await names('name_prefix=filter&active=true')).toEqual(['Filter_Alpha', 'FilterXBeta']);
    expect(a.tenantId).toBeTruthy();
  });

  it('is for the master token only, and validates its query', async () => {
    const tenant = await createTenant(t);
    expect((await t.call('GET', '/tenants')).statusCode).toBe(401);
    expect((await t.call('GET', '/tenants', 'wrong')).json()).toEqual({ success: false, error: 'master token required', code: 'master_token_required' });
    const asUser = await t.call('GET', '/tenants', tenant.adminToken);
    expect(asUser.statusCode).toBe(403);
    expect(asUser.json().error).toBe('master token required');
    for (const q of ['limit=0', 'limit=501', 'limit=x', 'active=maybe', 'cursor=%%%', 'cursor=bm90LWEtdXVpZA', 'sort=name']) {
      const res = await t.call('GET', `/tenants?${q}`, t.masterToken);
      expect(res.statusCode, q).toBe(400);
    }
  });
});

describe('GET/PUT/DELETE /tenants/{id}', () => {
  it('renames a tenant, refusing a name another tenant holds', async () => {
    const a = await createTenant(t, 'Rename Me');
    await createTenant(t, 'Taken Name');
    const clash = await t.call('PUT', `/tenants/${a.tenantId}`, t.masterToken, { name: ' taken name ' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('tenant_exists');
    const ok = await t.call('PUT', `/tenants/${a.tenantId}`, t.masterToken, { name: 'Renamed' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().tenant).toMatchObject({ id: a.tenantId, name: 'Renamed', active: true });
    // Its own name in another case is fine.
    expect((await t.call('PUT', `/tenants/${a.tenantId}`, t.masterToken, { name: 'RENAMED' })).statusCode).toBe(200);
  });

  it('suspends a tenant: its users get 403 until it is reactivated', async () => {
    const tenant = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent');
    expect((await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: false })).json().tenant.active).toBe(false);
    for (const token of [tenant.adminToken, agent.token]) {
      const res = await t.call('GET', '/me', token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ success: false, error: 'tenant is suspended', code: 'tenant_suspended' });
    }
    await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: true });
    expect((await t.call('GET', '/me', agent.token)).statusCode).toBe(200);
  });

  it('deletes a tenant and every row of it, leaving other tenants alone', async () => {
    const doomed = await createTenant(t);
    const survivor = await createTenant(t);
    await createUser(t, doomed, 'supervisor');
    await t.call('POST', '/me/tokens', doomed.adminToken, { name: 'x' });
    const res = await t.call('DELETE', `/tenants/${doomed.tenantId}`, t.masterToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });

    const db = t.deps.db.kysely;
    for (const table of ['users', 'api_tokens', 'devices', 'audit_log'] as const) {
      const rows = await db.selectFrom(table).select('tenant_id').where('tenant_id', '=', doomed.tenantId).execute();
      expect(rows, table).toHaveLength(0);
    }
    expect(await db.selectFrom('tenants').select('id').where('id', '=', doomed.tenantId).execute()).toHaveLength(0);
    expect((await t.call('GET', '/me', doomed.adminToken)).statusCode).toBe(401);
    expect((await t.call('GET', '/me', survivor.adminToken)).statusCode).toBe(200);
    expect((await t.call('GET', `/tenants/${doomed.tenantId}`, t.masterToken)).statusCode).toBe(404);
    expect((await t.call('DELETE', `/tenants/${doomed.tenantId}`, t.masterToken)).statusCode).toBe(404);
  });

  it('answers 404 for an unknown id, 400 for a bad one or a bad body, 401/403 without the master token', async () => {
    const tenant = await createTenant(t);
    const unknown = newId();
    expect((await t.call('GET', `/tenants/${unknown}`, t.masterToken)).json()).toEqual({ success: false, error: 'tenant not found', code: 'not_found' });
    expect((await t.call('PUT', `/tenants/${unknown}`, t.masterToken, { active: false })).statusCode).toBe(404);
    expect((await t.call('GET', '/tenants/xyz', t.masterToken)).statusCode).toBe(400);
    expect((await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, {})).statusCode).toBe(400);
    expect((await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { id: unknown })).statusCode).toBe(400);
    expect((await t.call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: 'false' })).statusCode).toBe(400);
    for (const [method, token, status] of [
      ['GET', undefined, 401],
      ['PUT', tenant.adminToken, 403],
      ['DELETE', tenant.adminToken, 403],
    ] as const) {
      const res = await t.call(method, `/tenants/${tenant.tenantId}`, token, method === 'PUT' ? { active: false } : undefined);
      expect(res.statusCode).toBe(status);
    }
    expect((await t.call('GET', '/me', tenant.adminToken)).statusCode).toBe(200);
  });
});
