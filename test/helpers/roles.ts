import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Role } from '../../src/db/schema.js';
import type { TestApp } from './app.js';
import { PASSWORD, type TenantFixture } from './factories.js';

/**
 * product.md section 1, restated independently of src/auth/policy.ts so the tests check the
 * implementation against the contract rather than against itself.
 */
export const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent', 'viewer'];
export type ActorKind = 'master' | Role;
export const ACTORS: readonly ActorKind[] = ['master', ...ROLES];

/** May `actor` manage (update, deactivate, delete) a user whose role is `target`? */
export function mayManage(actor: ActorKind, target: Role): boolean {
  if (actor === 'master' || actor === 'admin') return true;
  if (actor === 'supervisor') return target === 'agent' || target === 'viewer';
  return false;
}

/** May `actor` give `role`, at creation or by a change of role? */
export function mayAssign(actor: ActorKind, role: Role): boolean {
  return mayManage(actor, role);
}

/** May `actor` change a user from role `from` to role `to`? Both halves of the transition. */
export function mayChangeRole(actor: ActorKind, from: Role, to: Role): boolean {
  return mayManage(actor, from) && mayAssign(actor, to);
}

/** May `actor` read another user of its tenant (GET /users/{id}, GET /users)? */
export function mayRead(actor: ActorKind): boolean {
  return actor === 'master' || actor === 'admin' || actor === 'supervisor';
}

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

/** The error envelope, exactly. */
export function expectError(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'success']);
  expect(body.success).toBe(false);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  if (code !== undefined) expect(body.code).toBe(code);
  else expect(typeof body.code).toBe('string');
}

/** Strings that must never appear in any answer. */
export const SECRET_MARKERS = ['password_hash', 'token_hash', '$argon2', PASSWORD];

/** Fails when a response body contains a secret marker or any of `foreign` (another tenant's ids/emails). */
export function expectClean(res: LightMyRequestResponse, foreign: readonly string[] = []): void {
  for (const needle of [...SECRET_MARKERS, ...foreign]) {
    expect(res.body.toLowerCase().includes(needle.toLowerCase()), `answer of ${res.statusCode} contains "${needle}": ${res.body}`).toBe(false);
  }
}

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

type CallArgs = Parameters<TestApp['call']>;

/**
 * `t.call`, scanning every answer for secrets and for the strings `foreign()` returns (ids and
 * emails of a tenant the caller must never see).
 */
export function scanningCaller(t: TestApp, foreign: () => readonly string[] = () => []) {
  return async (...args: CallArgs): Promise<LightMyRequestResponse> => {
    const res = await t.call(...args);
    expectClean(res, foreign());
    return res;
  };
}
