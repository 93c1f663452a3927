import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/schema.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, createUser, type TenantFixture } from '../helpers/factories.js';
import { RFC3339, UUID_V7, expectClean, expectError } from '../helpers/assertions.js';
import { ACTORS, ROLES, mayAssign, mayChangeRole, mayManage, mayRead, type ActorKind } from '../helpers/roles.js';
import { createTarget, masterUpdate, readUser, uniqueEmail } from '../helpers/users.js';

// product.md section 1 as a table: actor × target role × action. Expected outcomes come from
// test/helpers/roles.ts (an independent restatement of the rules), never from src/auth/policy.ts.

type Action = { kind: 'create' } | { kind: 'role'; to: Role } | { kind: 'deactivate' } | { kind: 'reactivate' } | { kind: 'delete' } | { kind: 'read' };

interface Row {
  actor: ActorKind;
  target: Role;
  action: Action;
  allowed: boolean;
  name: string;
}

function allowed(actor: ActorKind, target: Role, action: Action): boolean {
  switch (action.kind) {
    case 'create':
      return mayAssign(actor, target);
    case 'role':
      return mayChangeRole(actor, target, action.to);
    case 'read':
      return mayRead(actor);
    default:
      return mayManage(actor, target);
  }
}

function describeAction(action: Action): string {
  switch (action.kind) {
    case 'create':
      return 'create with that role';
    case 'role':
      return `change role to ${action.to}`;
    default:
      return action.kind;
  }
}

const ROWS: Row[] = [];
for (const actor of ACTORS) {
  for (const target of ROLES) {
    const actions: Action[] = [
      { kind: 'create' },
      ...ROLES.filter((r) => r !== target).map((to) => ({ kind: 'role' as const, to })),
      { kind: 'deactivate' },
      { kind: 'reactivate' },
      { kind: 'delete' },
      { kind: 'read' },
    ];
    for (const action of actions) {
      const ok = allowed(actor, target, action);
      const status = action.kind === 'create' ? (ok ? 201 : 403) : ok ? 200 : 403;
      ROWS.push({ actor, target, action, allowed: ok, name: `${actor} × ${target}: ${describeAction(action)} → ${status}` });
    }
  }
}

let t: TestApp;
let tenant: TenantFixture;
const tokens = {} as Record<ActorKind, string>;

beforeAll(async () => {
  // Every row adds a user to the one tenant: lift the per-tenant limit out of the way.
  t = await createTestApp({ maxUsersPerTenant: 10_000 });
  tenant = await createTenant(t);
  tokens.master = t.masterToken;
  // The acting admin is not the tenant's first admin, so the tenant always keeps other active
  // admins and the last-admin rule (409) never decides a row of this table.
  for (const role of ROLES) tokens[role] = (await createUser(t, tenant, role)).token;
});
afterAll(async () => {
  await t.close();
});

it('has one row per actor × target role × action (5 × 4 × 8)', () => {
  expect(ROWS).toHaveLength(160);
  expect(new Set(ROWS.map((r) => r.name)).size).toBe(160);
  // Spot checks of the restated rules against product.md's own examples.
  expect(mayChangeRole('supervisor', 'agent', 'viewer')).toBe(true);
  expect(mayChangeRole('supervisor', 'agent', 'supervisor')).toBe(false);
  expect(mayManage('admin', 'admin')).toBe(true);
  expect(mayManage('agent', 'viewer')).toBe(false);
});

describe('role table', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const token = tokens[row.actor];
    const { action } = row;

    if (action.kind === 'create') {
      const email = uniqueEmail(`new-${row.target}`);
      const body = { email, password: PASSWORD, role: row.target, ...(row.actor === 'master' ? { tenant_id: tenant.tenantId } : {}) };
      const res = await t.call('POST', '/users', token, body);
      expectClean(res);
      const listed = await t.call('GET', `/users?tenant_id=${tenant.tenantId}&role=${row.target}&limit=500`, t.masterToken);
      const emails = (listed.json().users as { email: string }[]).map((u) => u.email);
      if (row.allowed) {
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()).toEqual({
          success: true,
          user: {
            id: expect.stringMatching(UUID_V7),
            tenant_id: tenant.tenantId,
            email,
            role: row.target,
            active: true,
            created_at: expect.stringMatching(RFC3339),
            updated_at: expect.stringMatching(RFC3339),
          },
        });
        expect(emails).toContain(email);
      } else {
        expectError(res, 403, 'forbidden');
        expect(emails).not.toContain(email);
      }
      return;
    }

    const target = await createTarget(t, tenant, row.target);
    if (action.kind === 'reactivate') await masterUpdate(t, target.id, { active: false });
    const before = await readUser(t, target.id);
    expect(before).toBeDefined();

    let res;
    let expected: { role: Role; active: boolean } | undefined = { role: row.target, active: before!.active };
    switch (action.kind) {
      case 'role':
        res = await t.call('PUT', `/users/${target.id}`, token, { role: action.to });
        if (row.allowed) expected = { role: action.to, active: true };
        break;
      case 'deactivate':
        res = await t.call('PUT', `/users/${target.id}`, token, { active: false });
        if (row.allowed) expected = { role: row.target, active: false };
        break;
      case 'reactivate':
        res = await t.call('PUT', `/users/${target.id}`, token, { active: true });
        if (row.allowed) expected = { role: row.target, active: true };
        break;
      case 'delete':
        res = await t.call('DELETE', `/users/${target.id}`, token);
        if (row.allowed) expected = undefined;
        break;
      case 'read':
        res = await t.call('GET', `/users/${target.id}`, token);
        break;
    }
    expectClean(res);

    if (!row.allowed) {
      expectError(res, 403, 'forbidden');
    } else if (action.kind === 'delete') {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ success: true });
    } else {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        success: true,
        user: {
          id: target.id,
          tenant_id: tenant.tenantId,
          email: target.email,
          role: expected!.role,
          active: expected!.active,
          created_at: expect.stringMatching(RFC3339),
          updated_at: expect.stringMatching(RFC3339),
        },
      });
    }

    // The stored state changed exactly when the request was allowed.
    const after = await readUser(t, target.id);
    if (expected === undefined) expect(after).toBeUndefined();
    else expect(after && { role: after.role, active: after.active }).toEqual(expected);
  });
});

describe('listing users', () => {
  it.each(ACTORS.map((a) => [`${a}: list users → ${mayRead(a) ? 200 : 403}`, a] as const))('%s', async (_name, actor) => {
    const query = actor === 'master' ? `?tenant_id=${tenant.tenantId}` : '';
    const res = await t.call('GET', `/users${query}`, tokens[actor]);
    expectClean(res);
    if (!mayRead(actor)) return expectError(res, 403, 'forbidden');
    expect(res.statusCode, res.body).toBe(200);
    const users = res.json().users as { tenant_id: string }[];
    expect(users.length).toBeGreaterThanOrEqual(5);
    expect(users.every((u) => u.tenant_id === tenant.tenantId)).toBe(true);
  });
});

describe('reading oneself', () => {
  // Agents and viewers may read only themselves; everyone may read themselves.
  it.each(ROLES.map((r) => [`${r} × self: read → 200`, r] as const))('%s', async (_name, role) => {
    const me = await t.call('GET', '/me', tokens[role]);
    expect(me.statusCode, me.body).toBe(200);
    const res = await t.call('GET', `/users/${me.json().user.id}`, tokens[role]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, user: me.json().user });
  });
});
