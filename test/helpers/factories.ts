import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Role } from '../../src/db/schema.js';
import type { TestApp } from './app.js';

export const PASSWORD = 'correct-horse-battery';

export interface TenantFixture {
  tenantId: string;
  adminId: string;
  adminEmail: string;
  adminToken: string;
}

export interface UserFixture {
  id: string;
  email: string;
  role: Role;
  token: string;
}

const unique = () => randomBytes(5).toString('hex');

export async function createTenant(t: TestApp, name = `Tenant ${unique()}`): Promise<TenantFixture> {
  const email = `admin-${unique()}@example.test`;
  const res = await t.call('POST', '/register', t.masterToken, { tenant_name: name, email, password: PASSWORD });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return { tenantId: body.tenant.id, adminId: body.user.id, adminEmail: email, adminToken: body.token };
}

export async function login(t: TestApp, email: string, password = PASSWORD): Promise<string> {
  const res = await t.call('POST', '/login', undefined, { email, password });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().token;
}

/** Creates a user of `role` in the tenant (as its admin) and logs it in. */
export async function createUser(t: TestApp, tenant: TenantFixture, role: Role): Promise<UserFixture> {
  const email = `${role}-${unique()}@example.test`;
  const res = await t.call('POST', '/users', tenant.adminToken, { email, password: PASSWORD, role });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().user.id;
  return { id, email, role, token: await login(t, email) };
}
