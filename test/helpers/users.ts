import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Role } from '../../src/db/schema.js';
import type { TestApp } from './app.js';
import { PASSWORD, type TenantFixture } from './factories.js';

const unique = () => randomBytes(5).toString('hex');
export const uniqueEmail = (prefix: string) => `${prefix}-${unique()}@example.test`;

/** Creates a user through the API as the tenant's first admin, without logging it in. */
export async function createTarget(t: TestApp, tenant: TenantFixture, role: Role): Promise<{ id: string; email: string; role: Role }> {
  const email = uniqueEmail(`t-${role}`);
  const res = await t.call('POST', '/users', tenant.adminToken, { email, password: PASSWORD, role });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json().user.id, email, role };
}

/** The user as the master token sees it, or undefined once it is gone. */
export async function readUser(t: TestApp, id: string): Promise<{ role: Role; active: boolean; tenant_id: string; email: string } | undefined> {
  const res = await t.call('GET', `/users/${id}`, t.masterToken);
  if (res.statusCode === 404) return undefined;
  expect(res.statusCode, res.body).toBe(200);
  return res.json().user;
}

/** Sets a user's fields as the master token (setup only; the tests' own calls go through actors). */
export async function masterUpdate(t: TestApp, id: string, body: { role?: Role; active?: boolean }): Promise<void> {
  const res = await t.call('PUT', `/users/${id}`, t.masterToken, body);
  expect(res.statusCode, res.body).toBe(200);
}
