import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/schema.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { expectError, scanningCaller } from '../helpers/assertions.js';
import { ROLES } from '../helpers/roles.js';
import { createTarget, masterUpdate, readUser, uniqueEmail } from '../helpers/users.js';

// The negative cases of POST/GET /users and GET/PUT/DELETE /users/{id} that are about the
// target: another tenant's user, a lower role, oneself, bad fields, the last admin, limits.

let t: TestApp;
let home: TenantFixture;
let away: TenantFixture;
let awayUsers: Record<Role, { id: string; email: string }>;
const actors = {} as Record<Role, UserFixture>;
let call: ReturnType<typeof scanningCaller>;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  away = await createTenant(t);
  for (const role of ROLES) actors[role] = await createUser(t, home, role);
  awayUsers = {} as typeof awayUsers;
  for (const role of ROLES) awayUsers[role] = await createTarget(t, away, role);
  // No answer to a home user may mention the away tenant.
  call = scanningCaller(t, () => [away.tenantId, away.adminId, away.adminEmail, ...Object.values(awayUsers).flatMap((u) => [u.id, u.email])]);
});
afterAll(async () => {
  await t.close();
});

describe("another tenant's user answers 404, exactly like an id that does not exist", () => {
  const NOT_FOUND = { success: false, error: 'user not found', code: 'not_found' };
  for (const actor of ROLES) {
    for (const target of ROLES) {
      it(`${actor} → away ${target}: GET, PUT role, PUT active, DELETE → 404`, async () => {
        const foreign = awayUsers[target];
        for (const id of [foreign.id, randomUUID()]) {
          for (const [method, body] of [['GET'], ['PUT', { role: 'viewer' }], ['PUT', { active: false }], ['DELETE']] as const) {
            const res = await call(method, `/users/${id}`, actors[actor].token, body);
            expect(res.statusCode, `${method} ${res.body}`).toBe(404);
            expect(res.json()).toEqual(NOT_FOUND);
          }
        }
        expect(await readUser(t, foreign.id)).toMatchObject({ role: target, active: true });
      });
    }
  }
});

describe('a lower role answers 403', () => {
  const newUser = (role: Role) => ({ email: uniqueEmail('x'), password: PASSWORD, role });
  it.each<[string, Role, 'GET' | 'POST', Role | undefined]>([
    ['agent creates a viewer', 'agent', 'POST', 'viewer'],
    ['viewer lists users', 'viewer', 'GET', undefined],
    ['agent lists users', 'agent', 'GET', undefined],
    ['supervisor creates a supervisor', 'supervisor', 'POST', 'supervisor'],
    ['supervisor creates an admin', 'supervisor', 'POST', 'admin'],
  ])('%s', async (_name, role, method, newRole) => {
    expectError(await call(method, '/users', actors[role].token, newRole ? newUser(newRole) : undefined), 403, 'forbidden');
  });

  it.each([
    ['viewer reads an agent', 'viewer', 'agent', 'GET', undefined],
    ['agent reads a viewer', 'agent', 'viewer', 'GET', undefined],
    ['supervisor demotes an admin', 'supervisor', 'admin', 'PUT', { role: 'viewer' }],
    ['supervisor deactivates a supervisor', 'supervisor', 'supervisor', 'PUT', { active: false }],
    ['supervisor promotes an agent to supervisor', 'supervisor', 'agent', 'PUT', { role: 'supervisor' }],
    ['supervisor deletes an admin', 'supervisor', 'admin', 'DELETE', undefined],
    ['agent deletes a viewer', 'agent', 'viewer', 'DELETE', undefined],
    ['viewer deactivates a viewer', 'viewer', 'viewer', 'PUT', { active: false }],
  ] as const)('%s', async (_name, role, targetRole, method, body) => {
    const target = await createTarget(t, home, targetRole);
    expectError(await call(method, `/users/${target.id}`, actors[role].token, body), 403, 'forbidden');
    expect(await readUser(t, target.id)).toMatchObject({ role: targetRole, active: true });
  });
});

describe('oneself answers 403', () => {
  const SELF = { success: false, error: 'you may not change or delete your own user', code: 'self_change' };
  for (const [role, other] of [
    ['admin', 'supervisor'],
    ['supervisor', 'admin'],
  ] as const) {
    it(`${role}: change own role (to viewer, to ${other}), deactivate self, delete self → 403 (another admin exists)`, async () => {
      const me = actors[role];
      for (const [method, body] of [
        ['PUT', { role: 'viewer' }],
        ['PUT', { role: other }],
        ['PUT', { active: false }],
        ['PUT', { role: 'agent', active: false }],
        ['DELETE'],
      ] as const) {
        const res = await call(method, `/users/${me.id}`, me.token, body);
        expect(res.statusCode, `${method} ${JSON.stringify(body)} ${res.body}`).toBe(403);
        expect(res.json()).toEqual(SELF);
      }
      expect(await readUser(t, me.id)).toMatchObject({ role, active: true });
    });
  }
});

describe('bad bodies answer 400', () => {
  it.each([
    ['POST /users with an unknown field', 'POST', 'new', { email: '', password: PASSWORD, role: 'agent', is_owner: true }],
    ['POST /users with active', 'POST', 'new', { email: '', password: PASSWORD, role: 'agent', active: false }],
    ['POST /users without role', 'POST', 'new', { email: '', password: PASSWORD }],
    ['PUT with an unknown field next to a valid one', 'PUT', 'agent', { active: true, is_admin: true }],
    ['PUT with email', 'PUT', 'agent', { email: 'new@example.test' }],
    ['PUT with tenant_id', 'PUT', 'agent', { tenant_id: randomUUID() }],
    ['PUT with an empty object', 'PUT', 'agent', {}],
    ['PUT with an unknown role', 'PUT', 'agent', { role: 'owner' }],
    ['PUT with no body at all', 'PUT', 'agent', undefined],
  ] as const)('%s', async (_name, method, which, body) => {
    const target = which === 'new' ? undefined : await createTarget(t, home, 'agent');
    const payload = body && 'email' in body && body.email === '' ? { ...body, email: uniqueEmail('bad') } : body;
    const res = await call(method, target ? `/users/${target.id}` : '/users', home.adminToken, payload);
    expectError(res, 400);
    if (target) expect(await readUser(t, target.id)).toMatchObject({ role: 'agent', active: true, email: target.email });
  });

  it('PUT with password_hash: the answer names the field the client sent, and nothing of the user', async () => {
    const target = await createTarget(t, home, 'agent');
    // not the scanning caller: "password_hash" is one of its markers, and here the client wrote it
    const res = await t.call('PUT', `/users/${target.id}`, home.adminToken, { password_hash: 'x' });
    expectError(res, 400, 'invalid_request');
    expect(res.json().error).toBe('unknown field "password_hash" (allowed: active, role)');
    expect(res.body).not.toContain('$argon2');
    expect(await readUser(t, target.id)).toMatchObject({ role: 'agent', active: true, email: target.email });
  });
});

describe('the last active admin answers 409', () => {
  const LAST = { success: false, error: 'a tenant must keep at least one active admin', code: 'last_admin' };

  it('for the master token demoting, deactivating or deleting the only admin', async () => {
    const solo = await createTenant(t);
    for (const [method, body] of [
      ['PUT', { role: 'supervisor' }],
      ['PUT', { role: 'viewer' }],
      ['PUT', { active: false }],
      ['PUT', { role: 'agent', active: false }],
      ['DELETE'],
    ] as const) {
      const res = await call(method, `/users/${solo.adminId}`, t.masterToken, body);
      expect(res.statusCode, `${method} ${JSON.stringify(body)} ${res.body}`).toBe(409);
      expect(res.json()).toEqual(LAST);
    }
    expect(await readUser(t, solo.adminId)).toMatchObject({ role: 'admin', active: true });
    expect((await call('GET', '/users', solo.adminToken)).statusCode).toBe(200);
    // A change that keeps it an active admin is fine.
    expect((await call('PUT', `/users/${solo.adminId}`, t.masterToken, { role: 'admin', active: true })).statusCode).toBe(200);
  });

  it('counts active admins only: an inactive second admin does not help, and may itself be removed', async () => {
    const tenant = await createTenant(t);
    const second = await createUser(t, tenant, 'admin');
    const demote = await call('PUT', `/users/${second.id}`, tenant.adminToken, { active: false });
    expect(demote.statusCode, demote.body).toBe(200);
    for (const [method, body] of [['PUT', { role: 'agent' }], ['PUT', { active: false }], ['DELETE']] as const) {
      const res = await call(method, `/users/${tenant.adminId}`, t.masterToken, body);
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json()).toEqual(LAST);
    }
    // Reactivated, the second admin makes the first one removable (by the second admin itself).
    await masterUpdate(t, second.id, { active: true });
    const res = await call('PUT', `/users/${tenant.adminId}`, second.token, { role: 'agent' });
    expect(res.statusCode, res.body).toBe(200);
    // Now the second admin is the last one: the master token may not remove it.
    expect((await call('DELETE', `/users/${second.id}`, t.masterToken)).json()).toEqual(LAST);
    // Deleting an inactive admin is allowed even though only one admin stays active.
    const third = await createTarget(t, { ...tenant, adminToken: second.token }, 'admin');
    await masterUpdate(t, third.id, { active: false });
    expect((await call('DELETE', `/users/${third.id}`, t.masterToken)).json()).toEqual({ success: true });
  });
});

describe('creating users', () => {
  it('answers 409 for a duplicate email, in any case and across tenants', async () => {
    const taken = [actors.agent.email, actors.agent.email.toUpperCase(), away.adminEmail, home.adminEmail.toUpperCase()];
    for (const email of taken) {
      const res = await call('POST', '/users', home.adminToken, { email, password: PASSWORD, role: 'viewer' });
      expect(res.statusCode, `${email} ${res.body}`).toBe(409);
      expect(res.json()).toEqual({ success: false, error: 'email already registered', code: 'email_taken' });
    }
  });

  it('needs tenant_id from the master token (400 without, 404 for an unknown tenant) and refuses it from tenant users', async () => {
    const body = { email: uniqueEmail('m'), password: PASSWORD, role: 'agent' };
    expectError(await call('POST', '/users', t.masterToken, body), 400);
    expectError(await call('POST', '/users', t.masterToken, { ...body, tenant_id: randomUUID() }), 404, 'not_found');
    expectError(await call('POST', '/users', home.adminToken, { ...body, tenant_id: away.tenantId }), 400);
    const ok = await call('POST', '/users', t.masterToken, { ...body, tenant_id: home.tenantId });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().user).toMatchObject({ tenant_id: home.tenantId, email: body.email, role: 'agent', active: true });
    // The master token lists users only with tenant_id too.
    expectError(await call('GET', '/users', t.masterToken), 400);
  });

  it('answers 409 past the users-per-tenant limit, for tenant users and the master token', async () => {
    const small = await createTestApp({ maxUsersPerTenant: 3 });
    try {
      const tenant = await createTenant(small);
      const a = await createTarget(small, tenant, 'agent');
      await createTarget(small, tenant, 'viewer');
      const LIMIT = { success: false, error: 'this tenant already has the maximum of 3 users', code: 'user_limit_reached' };
      const body = () => ({ email: uniqueEmail('over'), password: PASSWORD, role: 'viewer' });
      expect((await small.call('POST', '/users', tenant.adminToken, body())).json()).toEqual(LIMIT);
      expect((await small.call('POST', '/users', small.masterToken, { ...body(), tenant_id: tenant.tenantId })).json()).toEqual(LIMIT);
      // Deactivated users still count; deleted ones do not.
      expect((await small.call('PUT', `/users/${a.id}`, tenant.adminToken, { active: false })).statusCode).toBe(200);
      expect((await small.call('POST', '/users', tenant.adminToken, body())).statusCode).toBe(409);
      expect((await small.call('DELETE', `/users/${a.id}`, tenant.adminToken)).statusCode).toBe(200);
      expect((await small.call('POST', '/users', tenant.adminToken, body())).statusCode).toBe(201);
      // Another tenant has its own allowance.
      const other = await createTenant(small);
      expect((await small.call('POST', '/users', other.adminToken, body())).statusCode).toBe(201);
    } finally {
      await small.close();
    }
  });
});

describe('deleting a user', () => {
  it('revokes all of its tokens (401 after), and a new user with the same email does not inherit them', async () => {
    const doomed = await createUser(t, home, 'agent');
    const api = await call('POST', '/me/tokens', doomed.token, { name: 'bot' });
    expect(api.statusCode, api.body).toBe(201);
    const apiToken: string = api.json().token;
    expect((await call('GET', '/me', apiToken)).statusCode).toBe(200);

    const del = await call('DELETE', `/users/${doomed.id}`, actors.supervisor.token);
    expect(del.statusCode, del.body).toBe(200);
    expect(del.json()).toEqual({ success: true });
    expectError(await call('GET', `/users/${doomed.id}`, home.adminToken), 404, 'not_found');
    expectError(await call('DELETE', `/users/${doomed.id}`, home.adminToken), 404, 'not_found');

    const again = await call('POST', '/users', home.adminToken, { email: doomed.email, password: PASSWORD, role: 'agent' });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().user.id).not.toBe(doomed.id);
    for (const token of [doomed.token, apiToken]) {
      expect((await call('GET', '/me', token)).json()).toEqual({ success: false, error: 'invalid or expired token', code: 'invalid_token' });
    }
  });
});
