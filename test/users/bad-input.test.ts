import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, type TenantFixture } from '../helpers/factories.js';
import { expectClean, expectError } from '../helpers/assertions.js';
import { createTarget, readUser, uniqueEmail } from '../helpers/users.js';

// Bad input anywhere on the /users routes answers 4xx in the error envelope, never 5xx, changes
// nothing, and the process keeps serving (GET /health after every case).

const LIMIT = 2048;
let t: TestApp;
let tenant: TenantFixture;
let target: { id: string; email: string };

beforeAll(async () => {
  t = await createTestApp({ bodyLimitBytes: LIMIT });
  tenant = await createTenant(t);
  target = await createTarget(t, tenant, 'agent');
});
afterAll(async () => {
  await t.close();
});

interface Case {
  name: string;
  method: InjectOptions['method'];
  url: (id: string) => string;
  payload?: string;
  contentType?: string;
  status: number;
  code?: string;
}

const JSON_CT = 'application/json';
const user = (id: string) => `/users/${id}`;
const users = () => '/users';
const okUser = () => JSON.stringify({ email: uniqueEmail('bad'), password: PASSWORD, role: 'viewer' });

function cases(): Case[] {
  const c: Case[] = [];
  const add = (name: string, method: Case['method'], url: Case['url'], payload: string | undefined, status: number, code?: string, contentType = JSON_CT) =>
    c.push({ name, method, url, payload, status, code, contentType });

  // Malformed JSON.
  for (const raw of ['{"email":', '{active: true}', '{"active": true}}', "{'active': true}", '[1, 2', '\u0000', '{"active": tru}']) {
    add(`PUT malformed JSON ${JSON.stringify(raw)}`, 'PUT', user, raw, 400);
    add(`POST malformed JSON ${JSON.stringify(raw)}`, 'POST', users, raw, 400);
  }
  add('DELETE with a malformed JSON body', 'DELETE', user, '{', 400);

  // Wrong types: bodies are never coerced.
  for (const body of [
    { active: 'true' },
    { active: 1 },
    { active: null },
    { role: 1 },
    { role: ['admin'] },
    { role: null },
    { role: 'Admin' },
    { role: 'owner' },
    { active: 'false', role: 'viewer' },
  ]) {
    add(`PUT ${JSON.stringify(body)}`, 'PUT', user, JSON.stringify(body), 400, 'invalid_request');
  }
  for (const raw of ['null', '[]', '"active"', '42', 'true']) add(`PUT body ${raw}`, 'PUT', user, raw, 400);
  const base = { email: 'x@example.test', password: PASSWORD, role: 'viewer' };
  for (const patch of [
    { email: 123 },
    { password: 12345678 },
    { role: true },
    { email: 'not-an-email' },
    { password: 'short' },
    { email: ['x@example.test'] },
    { tenant_id: 'not-a-uuid' },
    { tenant_id: 7 },
  ]) {
    add(`POST ${JSON.stringify(patch)}`, 'POST', users, JSON.stringify({ ...base, ...patch }), 400, 'invalid_request');
  }

  // Missing fields.
  for (const drop of ['email', 'password', 'role'] as const) {
    const { [drop]: _gone, ...rest } = base;
    add(`POST without ${drop}`, 'POST', users, JSON.stringify(rest), 400, 'invalid_request');
  }
  add('POST {}', 'POST', users, '{}', 400, 'invalid_request');
  add('POST without a body', 'POST', users, undefined, 400);
  add('PUT {}', 'PUT', user, '{}', 400, 'invalid_request');
  add('PUT without a body', 'PUT', user, undefined, 400);

  // Bad UUIDs in the path.
  for (const bad of [
    'not-a-uuid',
    '1234',
    '00000000-0000-0000-0000-00000000000',
    '00000000-0000-0000-0000-0000000000000',
    'g0000000-0000-0000-0000-000000000000',
    "1' OR '1'='1",
    '%00',
  ]) {
    const path = `/users/${encodeURIComponent(bad)}`;
    for (const [method, payload] of [['GET'], ['PUT', '{"active":false}'], ['DELETE']] as const) {
      add(`${method} /users/${bad}`, method, () => path, payload, 400, 'invalid_request');
    }
  }
  // A path parameter longer than the router accepts (414) and a broken percent-encoding (400).
  for (const [method, payload] of [['GET'], ['PUT', '{"active":false}'], ['DELETE']] as const) {
    add(`${method} /users/{300 characters}`, method, () => `/users/${'x'.repeat(300)}`, payload, 414);
    add(`${method} /users/%zz`, method, () => '/users/%zz', payload, 400);
  }

  // Oversized bodies.
  const big = JSON.stringify({ email: uniqueEmail('big'), password: PASSWORD, role: 'viewer', pad: 'x'.repeat(4096) });
  add('POST a 4 KB body', 'POST', users, big, 413, 'body_too_large');
  add('PUT a 4 KB body', 'PUT', user, JSON.stringify({ active: false, pad: 'x'.repeat(4096) }), 413, 'body_too_large');

  // Wrong content types.
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
    add(`POST as ${ct}`, 'POST', users, okUser(), 415, 'unsupported_media_type', ct);
    add(`PUT as ${ct}`, 'PUT', user, '{"active":false}', 415, 'unsupported_media_type', ct);
  }

  // Unknown or bad query parameters.
  for (const q of ['foo=1', 'limit=10&foo=1', 'limit=ten', 'active=yes', 'role=ADMIN', 'cursor=' + 'x'.repeat(300)]) {
    add(`GET /users?${q.slice(0, 40)}`, 'GET', () => `/users?${q}`, undefined, 400);
  }
  for (const [method, payload] of [['GET'], ['PUT', '{"active":true}'], ['DELETE']] as const) {
    add(`${method} /users/{id}?foo=1`, method, (id) => `/users/${id}?foo=1`, payload, 400);
  }
  add('POST /users?foo=1', 'POST', () => '/users?foo=1', okUser(), 400);
  return c;
}

async function send(c: Case, id: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${tenant.adminToken}` };
  if (c.payload !== undefined) headers['content-type'] = c.contentType ?? JSON_CT;
  return t.app.inject({ method: c.method, url: c.url(id), headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
}

describe('bad input on /users', () => {
  it.each(cases().map((c) => [`${c.name} → ${c.status}`, c] as const))('%s', async (_name, c) => {
    // A target of its own, so a request that wrongly succeeds cannot spoil the other cases.
    const victim = await createTarget(t, tenant, 'agent');
    const before = await t.call('GET', `/users?limit=500`, tenant.adminToken);
    const res = await send(c, victim.id);
    expect(res.statusCode, res.body).toBeLessThan(500);
    expectError(res, c.status, c.code);
    expectClean(res);
    // Nothing changed, and the process still serves.
    expect(await readUser(t, victim.id)).toMatchObject({ role: 'agent', active: true });
    const after = await t.call('GET', `/users?limit=500`, tenant.adminToken);
    expect(after.json().users).toEqual(before.json().users);
    const health = await t.call('GET', '/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ success: true, status: 'ok' });
  });
});

describe('ids however they are spelled', () => {
  it('finds a user by its id in upper case on GET and PUT, answering the canonical lower-case id', async () => {
    const upper = target.id.toUpperCase();
    expect(upper).not.toBe(target.id);
    const got = await t.call('GET', `/users/${upper}`, tenant.adminToken);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json().user).toMatchObject({ id: target.id, email: target.email });
    const put = await t.call('PUT', `/users/${upper}`, tenant.adminToken, { role: 'viewer' });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().user).toMatchObject({ id: target.id, role: 'viewer' });
    expect((await t.call('PUT', `/users/${target.id}`, tenant.adminToken, { role: 'agent' })).statusCode).toBe(200);
  });

  it('deletes a user by its id in upper case', async () => {
    const doomed = await createTarget(t, tenant, 'viewer');
    const del = await t.call('DELETE', `/users/${doomed.id.toUpperCase()}`, tenant.adminToken);
    expect(del.statusCode, del.body).toBe(200);
    expect(await readUser(t, doomed.id)).toBeUndefined();
  });

  it('accepts an upper-case tenant_id from the master token, in the query and in the body', async () => {
    const list = await t.call('GET', `/users?tenant_id=${tenant.tenantId.toUpperCase()}`, t.masterToken);
    expect(list.statusCode, list.body).toBe(200);
    expect((list.json().users as { id: string }[]).map((u) => u.id)).toContain(target.id);
    const email = uniqueEmail('upper');
    const made = await t.call('POST', '/users', t.masterToken, { email, password: PASSWORD, role: 'viewer', tenant_id: tenant.tenantId.toUpperCase() });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().user).toMatchObject({ tenant_id: tenant.tenantId, email });
    // The new user is a normal member of its tenant: listed, and manageable by the admin.
    const del = await t.call('DELETE', `/users/${made.json().user.id}`, tenant.adminToken);
    expect(del.statusCode, del.body).toBe(200);
  });

  it('treats emails case-insensitively: stored lower-case, logged in with any case', async () => {
    const email = uniqueEmail('MiXeD').replace('mixed', 'MiXeD');
    const made = await t.call('POST', '/users', tenant.adminToken, { email, password: PASSWORD, role: 'viewer' });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().user.email).toBe(email.toLowerCase());
    const login = await t.call('POST', '/login', undefined, { email: email.toUpperCase(), password: PASSWORD });
    expect(login.statusCode, login.body).toBe(200);
  });
});
