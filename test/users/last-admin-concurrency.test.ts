import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Role } from '../../src/db/schema.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DIALECT } from '../helpers/database.js';
import { createTenant, createUser, type TenantFixture } from '../helpers/factories.js';
import { expectClean } from '../helpers/assertions.js';
import { mayAssign, mayManage } from '../helpers/roles.js';

// "Every tenant keeps at least one active admin ... two admins demoting each other at the same
// time cannot both succeed." Requests are fired together with Promise.all; the outcome must be
// explainable by SOME serial order of the successful requests (the order the audit log shows),
// with the caller's role re-read at its turn. Runs on SQLite, and on PostgreSQL when
// WUTS_TEST_DATABASE_URL is set.

type Change = { role?: Role; active?: boolean } | 'delete';
interface Req {
  label: string;
  actorId: string | 'master';
  token: string;
  targetId: string;
  change: Change;
}
interface UserState {
  role: Role;
  active: boolean;
}
type State = Map<string, UserState>;

const ROUNDS = 10;
const CODES: Record<number, string[]> = { 401: ['user_inactive', 'invalid_token'], 403: ['forbidden'], 404: ['not_found'], 409: ['last_admin'] };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const isActiveAdmin = (u: UserState | undefined) => u !== undefined && u.role === 'admin' && u.active;
const activeAdmins = (s: State) => [...s.values()].filter(isActiveAdmin).length;

/** Every status the rules allow as the refusal of `req` in `state`; empty when it is allowed. */
function refusals(state: State, req: Req): Set<number> {
  const out = new Set<number>();
  const caller = req.actorId === 'master' ? undefined : state.get(req.actorId);
  if (req.actorId !== 'master' && !caller?.active) out.add(401);
  const target = state.get(req.targetId);
  if (!target) return out.add(404);
  const role = req.actorId === 'master' ? 'master' : caller?.role;
  if (role !== undefined) {
    const newRole = req.change === 'delete' ? undefined : req.change.role;
    if (!mayManage(role, target.role) || (newRole !== undefined && !mayAssign(role, newRole))) out.add(403);
  }
  const after = req.change === 'delete' ? undefined : { role: req.change.role ?? target.role, active: req.change.active ?? target.active };
  if (isActiveAdmin(target) && !isActiveAdmin(after) && activeAdmins(state) <= 1) out.add(409);
  return out;
}

function apply(state: State, req: Req): void {
  if (req.change === 'delete') state.delete(req.targetId);
  else state.set(req.targetId, { ...state.get(req.targetId)!, ...req.change });
}

async function stateOf(tenantId: string): Promise<State> {
  const res = await t.call('GET', `/users?tenant_id=${tenantId}&limit=500`, t.masterToken);
  expect(res.statusCode, res.body).toBe(200);
  return new Map((res.json().users as ({ id: string } & UserState)[]).map((u) => [u.id, { role: u.role, active: u.active }]));
}

/** The successful changes in the order they happened, from the tenant's audit log. */
async function auditOrder(tenantId: string): Promise<{ actorId: string | 'master'; targetId: string; before: UserState }[]> {
  const res = await t.call('GET', `/audit?tenant_id=${tenantId}&limit=500`, t.masterToken);
  expect(res.statusCode, res.body).toBe(200);
  type Entry = { action: string; actor: { type: string; user_id: string | null }; target_id: string; before: UserState };
  return (res.json().entries as Entry[])
    .filter((e) => e.action === 'user.update' || e.action === 'user.delete')
    .reverse()
    .map((e) => ({ actorId: e.actor.type === 'master' ? 'master' : e.actor.user_id!, targetId: e.target_id, before: e.before }));
}

/**
 * Fires `reqs` at once and checks the outcome is linearizable under the rules. Answers the
 * responses by label.
 */
async function race(tenantId: string, reqs: Req[], round: number): Promise<Record<string, LightMyRequestResponse>> {
  const initial = await stateOf(tenantId);
  const send = (r: Req) =>
    r.change === 'delete' ? t.call('DELETE', `/users/${r.targetId}`, r.token) : t.call('PUT', `/users/${r.targetId}`, r.token, r.change);
  // Requests start in a rotated order each round, so each side gets to be first. (inject is
  // lazy: a request is dispatched when its .then is called, hence the explicit .then here.)
  const shift = round % reqs.length;
  const started = [...reqs.slice(shift), ...reqs.slice(0, shift)].map((r) => [r, send(r).then((x) => x)] as const);
  const responses = await Promise.all(reqs.map((r) => started.find(([s]) => s === r)![1]));
  const byLabel: Record<string, LightMyRequestResponse> = {};
  reqs.forEach((r, i) => (byLabel[r.label] = responses[i]!));
  const outcome = `round ${round}: ` + reqs.map((r, i) => `${r.label}=${responses[i]!.statusCode}`).join(' ');

  // Every answer is a success or a refusal in the error envelope; never a 5xx.
  for (const res of responses) {
    expectClean(res);
    if (res.statusCode === 200) continue;
    expect(Object.keys(CODES), `${outcome}: ${res.body}`).toContain(String(res.statusCode));
    expect(CODES[res.statusCode], `${outcome}: ${res.body}`).toContain(res.json().code);
    expect(res.json().success).toBe(false);
  }

  // Replay the successes in audit order: each must have been allowed at its turn, and must
  // have seen exactly the state the previous ones left (its audit "before").
  const order = await auditOrder(tenantId);
  const winners = reqs.filter((_, i) => responses[i]!.statusCode === 200);
  expect(order.length, outcome).toBe(winners.length);
  const model = new Map(initial);
  for (const step of order) {
    const req = winners.find((w) => w.actorId === step.actorId && w.targetId === step.targetId);
    expect(req, `${outcome}: audit entry without a successful request`).toBeDefined();
    expect([...refusals(model, req!)], `${outcome}: ${req!.label} should have been refused at its turn`).toEqual([]);
    expect({ role: step.before.role, active: step.before.active }, `${outcome}: ${req!.label} saw a stale state`).toEqual(model.get(req!.targetId));
    apply(model, req!);
  }

  // The database holds exactly the replayed state, with at least one active admin.
  const final = await stateOf(tenantId);
  expect(Object.fromEntries(final), outcome).toEqual(Object.fromEntries(model));
  expect(activeAdmins(final), outcome).toBeGreaterThanOrEqual(1);

  // Every refused request is refused by the rules in the final state, for a reason they give.
  reqs.forEach((r, i) => {
    const status = responses[i]!.statusCode;
    if (status === 200) return;
    const reasons = refusals(final, r);
    expect([...reasons], `${outcome}: ${r.label} was refused but the rules allow it`).not.toEqual([]);
    expect([...reasons], `${outcome}: ${r.label} answered ${status}`).toContain(status);
  });
  return byLabel;
}

async function admins(n: number): Promise<{ tenant: TenantFixture; ids: string[]; tokens: string[] }> {
  const tenant = await createTenant(t);
  const ids = [tenant.adminId];
  const tokens = [tenant.adminToken];
  for (let i = 1; i < n; i++) {
    const u = await createUser(t, tenant, 'admin');
    ids.push(u.id);
    tokens.push(u.token);
  }
  // Use every token once, so no request of the race has the extra write of a first use
  // (last_used_at) and either side can be first.
  for (const token of tokens) expect((await t.call('GET', '/me', token)).statusCode).toBe(200);
  return { tenant, ids, tokens };
}

const req = (label: string, actorId: string | 'master', token: string, targetId: string, change: Change): Req => ({ label, actorId, token, targetId, change });

describe(`last active admin under concurrency (${DIALECT})`, () => {
  for (const [name, change] of [
    ['demote each other to agent', { role: 'agent' }],
    ['deactivate each other', { active: false }],
    ['delete each other', 'delete'],
  ] as const) {
    it(`two admins ${name} at the same moment: exactly one succeeds, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { tenant, ids, tokens } = await admins(2);
        const res = await race(tenant.tenantId, [req('A', ids[0]!, tokens[0]!, ids[1]!, change), req('B', ids[1]!, tokens[1]!, ids[0]!, change)], round);
        const statuses = [res.A!.statusCode, res.B!.statusCode].sort();
        expect(statuses[0], `round ${round}`).toBe(200);
        expect(statuses[1], `round ${round}: ${res.A!.body} ${res.B!.body}`).not.toBe(200);
      }
    });
  }

  it(`the master token demoting both admins at once: one 200, one 409 last_admin, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { tenant, ids } = await admins(2);
      const change = round % 2 ? ({ active: false } as const) : ({ role: 'viewer' } as const);
      const res = await race(
        tenant.tenantId,
        [req('M1', 'master', t.masterToken, ids[0]!, change), req('M2', 'master', t.masterToken, ids[1]!, change)],
        round,
      );
      const [loser] = [res.M1!, res.M2!].filter((r) => r.statusCode !== 200);
      expect([res.M1!.statusCode, res.M2!.statusCode].sort(), `round ${round}`).toEqual([200, 409]);
      expect(loser!.json()).toEqual({ success: false, error: 'a tenant must keep at least one active admin', code: 'last_admin' });
    }
  });

  it(`three admins: A demotes B while B demotes C; B's change may win only if it came first, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { tenant, ids, tokens } = await admins(3);
      const [a, b, c] = ids as [string, string, string];
      const res = await race(tenant.tenantId, [req('A', a, tokens[0]!, b, { role: 'agent' }), req('B', b, tokens[1]!, c, { role: 'agent' })], round);
      // A's request is allowed in every order: A stays an admin and B is not the last one.
      expect(res.A!.statusCode, `round ${round}: ${res.A!.body}`).toBe(200);
      const final = await stateOf(tenant.tenantId);
      expect(final.get(a)).toEqual({ role: 'admin', active: true });
      expect(final.get(b)).toEqual({ role: 'agent', active: true });
      // C lost admin exactly when B's request succeeded (and race() checked B came first).
      expect(final.get(c)!.role, `round ${round}: ${res.B!.body}`).toBe(res.B!.statusCode === 200 ? 'agent' : 'admin');
    }
  });

  it(`three admins demoting in a cycle (A→B, B→C, C→A): exactly two succeed and one admin remains, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { tenant, ids, tokens } = await admins(3);
      const reqs = [0, 1, 2].map((i) => req('ABC'[i]!, ids[i]!, tokens[i]!, ids[(i + 1) % 3]!, { role: 'agent' }));
      const res = await race(tenant.tenantId, reqs, round);
      const ok = Object.values(res).filter((r) => r.statusCode === 200);
      expect(ok.length, `round ${round}`).toBe(2);
      expect(activeAdmins(await stateOf(tenant.tenantId))).toBe(1);
    }
  });
});
