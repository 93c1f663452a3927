import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/schema.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { RFC3339, UUID_V7, expectError, scanningCaller } from '../helpers/assertions.js';
import { createTarget, masterUpdate } from '../helpers/users.js';

// GET /users: keyset pagination (limit + next_cursor) covering every user exactly once, in
// creation order, with the role and active filters, and never another tenant's users.

interface Listed {
  id: string;
  tenant_id: string;
  email: string;
  role: Role;
  active: boolean;
  created_at: string;
  updated_at: string;
}

let t: TestApp;
let call: ReturnType<typeof scanningCaller>;
let tenant: TenantFixture;
let other: TenantFixture;
/** Every user of `tenant`, in creation order, as the test made them. */
const all: { id: string; email: string; role: Role; active: boolean }[] = [];
const otherStrings: string[] = [];

// 1 admin (from /register) + 12: 3 of each role, one of each role but admin deactivated.
const PLAN: Role[] = ['agent', 'viewer', 'supervisor', 'admin', 'agent', 'viewer', 'supervisor', 'admin', 'agent', 'viewer', 'supervisor', 'agent'];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  otherStrings.push(other.tenantId, other.adminId, other.adminEmail);
  for (const role of ['agent', 'viewer'] as const) {
    const u = await createTarget(t, other, role);
    otherStrings.push(u.id, u.email);
  }
  call = scanningCaller(t, () => otherStrings);
  all.push({ id: tenant.adminId, email: tenant.adminEmail, role: 'admin', active: true });
  for (const role of PLAN) {
    const u = await createTarget(t, tenant, role);
    all.push({ ...u, active: true });
  }
  for (const role of ['agent', 'viewer', 'supervisor'] as const) {
    const u = all.find((x) => x.role === role)!;
    await masterUpdate(t, u.id, { active: false });
    u.active = false;
  }
});
afterAll(async () => {
  await t.close();
});

/** Follows next_cursor from the first page; bounded so a cursor loop fails instead of hanging. */
async function walk(query: string, limit: number, token = tenant.adminToken): Promise<{ pages: Listed[][]; users: Listed[] }> {
  const pages: Listed[][] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const sep = query ? '&' : '';
    const url: string = `/users?${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call('GET', url, token);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['next_cursor', 'success', 'users']);
    expect(body.success).toBe(true);
    expect(body.users.length).toBeLessThanOrEqual(limit);
    pages.push(body.users);
    cursor = body.next_cursor;
    if (cursor === null) return { pages, users: pages.flat() };
    expect(typeof cursor).toBe('string');
    expect(body.users.length).toBe(limit);
  }
  throw new Error(`pagination of ${query} did not end`);
}

const ids = (users: { id: string }[]) => users.map((u) => u.id);

describe('GET /users pagination', () => {
  it('walks every user exactly once, oldest first, in pages of the limit', async () => {
    expect(all).toHaveLength(13);
    const { pages, users } = await walk('', 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
    expect(ids(users)).toEqual(ids(all));
    expect(new Set(ids(users)).size).toBe(13);
    for (const u of users) {
      const mine = all.find((x) => x.id === u.id)!;
      expect(u).toEqual({
        id: expect.stringMatching(UUID_V7),
        tenant_id: tenant.tenantId,
        email: mine.email,
        role: mine.role,
        active: mine.active,
        created_at: expect.stringMatching(RFC3339),
        updated_at: expect.stringMatching(RFC3339),
      });
    }
  });

  it.each([1, 2, 3, 4, 6, 12, 13, 14, 500])('gives the same sequence with limit=%i', async (limit) => {
    const { pages, users } = await walk('', limit);
    expect(ids(users)).toEqual(ids(all));
    // No empty trailing page: a page that reaches the end says so with next_cursor null.
    expect(pages.length).toBe(Math.ceil(13 / limit));
  });

  it('defaults to a page of 50 with next_cursor null when everything fits', async () => {
    const res = await call('GET', '/users', tenant.adminToken);
    expect(res.statusCode).toBe(200);
    expect(ids(res.json().users)).toEqual(ids(all));
    expect(res.json().next_cursor).toBeNull();
  });

  it('is the same for a supervisor and for the master token with tenant_id', async () => {
    const sup = all.find((u) => u.role === 'supervisor' && u.active)!;
    const res = await call('POST', '/login', undefined, { email: sup.email, password: 'correct-horse-battery' });
    expect(res.statusCode, res.body).toBe(200);
    expect(ids((await walk('', 4, res.json().token)).users)).toEqual(ids(all));
    expect(ids((await walk(`tenant_id=${tenant.tenantId}`, 4, t.masterToken)).users)).toEqual(ids(all));
    // The master token may see the other tenant (not scanned: it is the one caller allowed to).
    const res2 = await t.call('GET', `/users?tenant_id=${other.tenantId}`, t.masterToken);
    expect((res2.json().users as Listed[]).map((u) => u.tenant_id)).toEqual([other.tenantId, other.tenantId, other.tenantId]);
  });

  it('refuses a limit out of range and a forged cursor with 400', async () => {
    for (const q of ['limit=0', 'limit=501', 'limit=-1', 'limit=abc', 'cursor=not-a-cursor', `cursor=${Buffer.from('x').toString('base64url')}`]) {
      expectError(await call('GET', `/users?${q}`, tenant.adminToken), 400);
    }
  });

  it("does not leak another tenant's users through a cursor made from their id", async () => {
    const forged = Buffer.from(other.adminId, 'utf8').toString('base64url');
    const res = await call('GET', `/users?cursor=${forged}&limit=500`, tenant.adminToken);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json().users as Listed[]).every((u) => u.tenant_id === tenant.tenantId)).toBe(true);
  });
});

describe('GET /users filters', () => {
  const cases: [string, (u: (typeof all)[number]) => boolean][] = [
    ['role=agent', (u) => u.role === 'agent'],
    ['role=admin', (u) => u.role === 'admin'],
    ['role=viewer', (u) => u.role === 'viewer'],
    ['role=supervisor', (u) => u.role === 'supervisor'],
    ['active=false', (u) => !u.active],
    ['active=true', (u) => u.active],
    ['role=agent&active=true', (u) => u.role === 'agent' && u.active],
    ['role=viewer&active=false', (u) => u.role === 'viewer' && !u.active],
    ['role=admin&active=false', (u) => u.role === 'admin' && !u.active],
  ];
  it.each(cases)('%s lists exactly the matching users, across pages of 2', async (query, match) => {
    const expected = ids(all.filter(match));
    const { users } = await walk(query, 2);
    expect(ids(users)).toEqual(expected);
  });

  it('has the expected fixture mix, so the filters are meaningful', () => {
    expect(all.filter((u) => u.role === 'agent')).toHaveLength(4);
    expect(all.filter((u) => !u.active)).toHaveLength(3);
    expect(all.filter((u) => u.role === 'admin' && !u.active)).toHaveLength(0);
  });

  it('refuses unknown filters and bad values with 400', async () => {
    for (const q of ['role=owner', 'active=maybe', 'email=x@example.test', 'tenant_id=' + other.tenantId, 'sort=email']) {
      expectError(await call('GET', `/users?${q}`, tenant.adminToken), 400);
    }
  });
});
