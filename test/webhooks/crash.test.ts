// Crash test of the events outbox and the webhook dispatcher (issue 4, "Done when"): with
// deliveries pending, the real `wuts serve` process is killed with SIGKILL; after a restart on
// the same database every committed event reaches a real receiver on 127.0.0.1, checked with the
// `standardwebhooks` package. Duplicates are allowed, with the same webhook-id; per-tenant order
// (tenant-level events share one order key) holds. Runs on SQLite, or on PostgreSQL when
// WUTS_TEST_DATABASE_URL is set. Needs the build (npx tsc -p tsconfig.json): it spawns dist.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { PASSWORD } from '../helpers/factories.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/receiver.js';
import { api, ok, type ApiAnswer } from '../helpers/http.js';

const MASTER = 'crash_test_master_' + randomBytes(24).toString('hex');
const TIMEOUT_SECONDS = 2;
/** The dispatcher leases a claimed delivery for the request timeout + 10 s (src/workers/webhook-dispatcher.ts). */
const LEASE_MS = TIMEOUT_SECONDS * 1000 + 30_000;
/** Immediately, then every second: 20 attempts, so no delivery runs out of attempts while the receiver is down. */
const SCHEDULE = ['0', ...Array<string>(19).fill('1')].join(',');
/** Long enough for a lease taken by the killed process to run out, and then for everything to go out. */
const DELIVERY_BOUND_MS = LEASE_MS + 20_000;

// Everything started here, stopped in afterAll whatever happened.
const servers: RunningServer[] = [];
const receivers: WebhookReceiver[] = [];
const databases: TestDatabase[] = [];
const handles: Db[] = [];

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
  for (const r of receivers) await r.close();
  for (const h of handles) await h.close().catch(() => {});
  for (const d of databases) await d.drop();
});

function serverEnv(database: TestDatabase): Record<string, string | undefined> {
  return {
    WUTS_DATA_DIR: database.dataDir,
    DATABASE_URL: database.databaseUrl,
    WUTS_MASTER_TOKEN: MASTER,
    WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
    WUTS_WEBHOOK_RETRY_SCHEDULE: SCHEDULE,
    WUTS_WEBHOOK_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    LOG_LEVEL: 'warn',
  };
}

async function boot(database: TestDatabase): Promise<RunningServer> {
  const server = await startServer(serverEnv(database));
  servers.push(server);
  return server;
}

async function kill(server: RunningServer): Promise<void> {
  await server.stop('SIGKILL');
  expect(server.child.signalCode).toBe('SIGKILL');
}

/** Polls `probe` every 100 ms until it returns a value; fails after `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Fixture {
  tenantId: string;
  adminId: string;
  token: string;
  webhookId: string;
  /** Events of the tenant written before the webhook existed: nobody owes them to the receiver. */
  before: Set<string>;
}

/** Registers a tenant, points a webhook at the receiver, and gives the receiver the secret. */
async function setUp(server: RunningServer, database: TestDatabase, receiver: WebhookReceiver): Promise<Fixture> {
  const reg = await ok(
    api(server.baseUrl, 'POST', '/register', MASTER, {
      tenant_name: `Crash ${randomBytes(4).toString('hex')}`,
      email: `admin-${randomBytes(4).toString('hex')}@example.test`,
      password: PASSWORD,
    }),
    201,
  );
  const tenantId: string = reg.tenant.id;
  const token: string = reg.token;
  const before = new Set((await eventsOf(database.db, tenantId)).map((e) => e.id));
  const hook = await ok(api(server.baseUrl, 'POST', '/webhooks', token, { url: receiver.url }), 201);
  const secret = await ok(api(server.baseUrl, 'GET', `/webhooks/${hook.webhook.id}/secret`, token), 200);
  expect(secret.secret).toMatch(/^whsec_/);
  receiver.setSecrets(secret.secret);
  return { tenantId, adminId: reg.user.id, token, webhookId: hook.webhook.id, before };
}

function newUser(server: RunningServer, token: string): Promise<ApiAnswer> {
  return api(server.baseUrl, 'POST', '/users', token, { email: `agent-${randomBytes(6).toString('hex')}@example.test`, password: PASSWORD, role: 'agent' });
}

async function eventsOf(db: Db, tenantId: string) {
  return db.kysely.selectFrom('events').select(['id', 'type', 'data_json', 'created_at']).where('tenant_id', '=', tenantId).orderBy('id').execute();
}

interface ApiDelivery {
  id: string;
  event_id: string;
  status: string;
  attempt_count: number;
  attempts: { status_code: number | null; error: string | null }[];
}

/** Every delivery of the webhook, through GET /webhooks/{id}/deliveries (all pages). */
async function deliveries(server: RunningServer, f: Fixture): Promise<ApiDelivery[]> {
  const all: ApiDelivery[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const q: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const body = await ok(api(server.baseUrl, 'GET', `/webhooks/${f.webhookId}/deliveries${q}`, f.token), 200);
    all.push(...(body.deliveries as ApiDelivery[]));
    cursor = body.next_cursor;
    if (!cursor) return all;
  }
  throw new Error('more than 50 pages of deliveries');
}

/**
 * What the database committed, read on a fresh connection after the crash: the events owed to
 * the webhook, in event order. Also checks the outbox itself: one `user.created` per user row,
 * and a user row for every 201 the API gave.
 */
async function committed(database: TestDatabase, f: Fixture, acknowledgedUserIds: string[]): Promise<string[]> {
  const db = database.reopen();
  handles.push(db);
  const events = (await eventsOf(db, f.tenantId)).filter((e) => !f.before.has(e.id));
  const users = await db.kysely.selectFrom('users').select('id').where('tenant_id', '=', f.tenantId).where('id', '!=', f.adminId).execute();
  const userIds = new Set(users.map((u) => u.id));
  for (const id of acknowledgedUserIds) expect(userIds.has(id), `user ${id} was acknowledged with 201 but is not in the database`).toBe(true);
  expect(events.every((e) => e.type === 'user.created')).toBe(true);
  const eventUserIds = events.map((e) => (JSON.parse(e.data_json) as { id: string }).id);
  expect(new Set(eventUserIds)).toEqual(userIds); // the change and its event, both or neither
  expect(eventUserIds).toHaveLength(userIds.size);
  // Event ids are UUIDv7: their order is the order the events were written in.
  expect(events.map((e) => e.created_at)).toEqual([...events.map((e) => e.created_at)].sort());
  return events.map((e) => e.id);
}

/** The receiver got every committed event, verified, duplicates identical, in event order. */
function checkReceived(receiver: WebhookReceiver, f: Fixture, expected: string[], types = ['user.created']): void {
  const expectedSet = new Set(expected);
  expect(receiver.unverified().map((r) => `${r.webhookId}: ${r.verifyError}`)).toEqual([]);
  const missing = expected.filter((id) => !receiver.eventIds().has(id));
  expect(missing, 'committed events never delivered').toEqual([]);

  const byId = new Map<string, ReceivedRequest[]>();
  for (const r of receiver.requests) {
    expect(r.method).toBe('POST');
    expect(r.webhookId && expectedSet.has(r.webhookId), `unexpected webhook-id ${r.webhookId}`).toBe(true);
    expect(r.payload?.id).toBe(r.webhookId);
    expect(r.payload?.tenant_id).toBe(f.tenantId);
    expect(types).toContain(r.payload?.type);
    byId.set(r.webhookId!, [...(byId.get(r.webhookId!) ?? []), r]);
  }
  // A duplicate is the same message: same webhook-id and the same body.
  for (const [, copies] of byId) for (const c of copies) expect(c.body).toBe(copies[0]!.body);

  const firstReceipt = [...receiver.eventIds()];
  expect(firstReceipt).toEqual(expected);
  const firstAnswered: string[] = [];
  for (const r of receiver.requests) if (r.status === 204 && !firstAnswered.includes(r.webhookId!)) firstAnswered.push(r.webhookId!);
  expect(firstAnswered).toEqual(expected);
}

describe(`webhook deliveries survive SIGKILL (${DIALECT})`, () => {
  it('receiver down, killed during a burst of writes: after a restart every committed event is delivered, in order', { timeout: 120_000 }, async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const receiver = await startReceiver();
    receivers.push(receiver);
    await receiver.down(); // the webhook's port refuses connections

    const first = await boot(database);
    const f = await setUp(first, database, receiver);

    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) acknowledged.push((await ok(newUser(first, f.token), 201)).user.id);

    // The first delivery is being retried (connection refused); the others wait behind it.
    const pending = await eventually('two failed attempts recorded', 15_000, async () => {
      const list = await deliveries(first, f);
      return list.length === 20 && list.some((d) => d.attempt_count >= 2) ? list : undefined;
    });
    // Nothing succeeded or failed; the head may be caught in flight (one order key: at most one).
    const statuses = pending.map((d) => d.status);
    expect(statuses.filter((s) => s !== 'pending' && s !== 'delivering')).toEqual([]);
    expect(statuses.filter((s) => s === 'delivering').length).toBeLessThanOrEqual(1);
    const tried = pending.filter((d) => d.attempt_count > 0);
    expect(tried.length).toBeGreaterThanOrEqual(1);
    for (const d of tried) {
      expect(d.attempts.length).toBeGreaterThan(0);
      for (const a of d.attempts) {
        expect(a.status_code).toBeNull();
        expect(a.error).toMatch(/ECONNREFUSED|refused/i);
      }
    }
    expect(receiver.requests).toHaveLength(0);

    // A burst of writes, and SIGKILL while it is still going.
    const burst = Array.from({ length: 30 }, () =>
      newUser(first, f.token).then(
        (a) => a,
        (err: Error) => err,
      ),
    );
    let answered = 0;
    await Promise.race([
      new Promise<void>((resolve) => burst.forEach((p) => void p.then(() => ++answered >= 2 && resolve()))),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    await kill(first);
    const outcomes = await Promise.all(burst);
    for (const o of outcomes) if (!(o instanceof Error) && o.status === 201) acknowledged.push(o.body.user.id);
    expect(outcomes.filter((o) => !(o instanceof Error) && o.status === 201).length).toBeGreaterThanOrEqual(2);
    expect(outcomes.filter((o) => o instanceof Error).length, 'the kill should cut the burst').toBeGreaterThan(0);
    for (const o of outcomes) if (!(o instanceof Error)) expect(o.status).toBe(201);

    const expected = await committed(database, f, acknowledged);
    expect(expected.length).toBeGreaterThanOrEqual(22);
    expect(receiver.requests).toHaveLength(0);

    await receiver.up();
    const second = await boot(database);
    await receiver.waitFor((r) => expected.every((id) => r.eventIds().has(id)), DELIVERY_BOUND_MS, `all ${expected.length} committed events`);
    checkReceived(receiver, f, expected);

    const done = await eventually('every delivery succeeded', 10_000, async () => {
      const list = await deliveries(second, f);
      return list.every((d) => d.status === 'succeeded') ? list : undefined;
    });
    expect(done.map((d) => d.event_id).sort()).toEqual([...expected].sort());
    await second.stop('SIGTERM');
  });

  it(
    'killed in the middle of a delivery: after the lease runs out it is sent again with the same webhook-id, and nothing overtakes it',
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const receiver = await startReceiver({ mode: 'hang' });
      receivers.push(receiver);

      const first = await boot(database);
      const f = await setUp(first, database, receiver);
      const acknowledged: string[] = [];
      for (let i = 0; i < 8; i++) acknowledged.push((await ok(newUser(first, f.token), 201)).user.id);

      // The head event's request is open at the receiver, unanswered: kill WUTS now (well within the 2 s timeout).
      await receiver.waitFor((r) => r.requests.length >= 1, 10_000, 'the first request');
      await kill(first);
      const hung = receiver.requests[0]!;
      expect(hung.verified).toBe(true);
      expect(hung.status).toBeNull();
      expect(receiver.requests).toHaveLength(1);

      const expected = await committed(database, f, acknowledged);
      expect(expected).toHaveLength(8);
      expect(hung.webhookId).toBe(expected[0]);
      // The killed process held the delivery: claimed, no attempt recorded.
      const head = await database.db.kysely
        .selectFrom('deliveries')
        .select(['id', 'status', 'attempt_count'])
        .where('event_id', '=', expected[0]!)
        .executeTakeFirstOrThrow();
      expect(head).toMatchObject({ status: 'delivering', attempt_count: 0 });

      receiver.respondWith('ok');
      const second = await boot(database);
      await receiver.waitFor((r) => expected.every((id) => r.eventIds().has(id)), DELIVERY_BOUND_MS, `all ${expected.length} committed events`);
      checkReceived(receiver, f, expected);

      // The head was sent twice with the same webhook-id; nothing else went out before its second send.
      const copies = receiver.requests.filter((r) => r.webhookId === expected[0]);
      expect(copies.length).toBeGreaterThanOrEqual(2);
      expect(receiver.requests[1]!.webhookId).toBe(expected[0]);
      expect(receiver.requests[1]!.status).toBe(204);

      const done = await eventually('every delivery succeeded', 10_000, async () => {
        const list = await deliveries(second, f);
        return list.every((d) => d.status === 'succeeded') ? list : undefined;
      });
      expect(done).toHaveLength(8);
      await second.stop('SIGTERM');
    },
  );

  it(
    'killed while runs of deliveries are sent and their outcomes batched: what was recorded was received, and after a restart every committed event is delivered, in order',
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const receiver = await startReceiver({ mode: { status: 204, delayMs: 3 } });
      receivers.push(receiver);

      const first = await boot(database);
      const f = await setUp(first, database, receiver);
      const agent = (await ok(newUser(first, f.token), 201)).user.id as string;
      // user.updated events, one per request: the agent's role flipped back and forth while the
      // dispatcher sends them (one order key: the tenant's), and SIGKILL in the middle.
      let acknowledged = 0;
      const writes = (async () => {
        for (let i = 0; i < 400; i++) {
          const answer = await api(first.baseUrl, 'PUT', `/users/${agent}`, f.token, { role: i % 2 === 0 ? 'viewer' : 'agent' }).catch((err: Error) => err);
          if (answer instanceof Error) return;
          expect(answer.status).toBe(200);
          acknowledged++;
        }
      })();
      await receiver.waitFor((r) => r.requests.length >= 60, 30_000, '60 requests');
      await kill(first);
      await writes;
      expect(acknowledged, 'the kill should cut the writes').toBeLessThan(400);

      const db = database.reopen();
      handles.push(db);
      const expected = (await eventsOf(db, f.tenantId)).filter((e) => !f.before.has(e.id)).map((e) => e.id);
      expect(expected.length).toBeGreaterThanOrEqual(acknowledged + 1);
      // The killed process recorded successes only for requests the receiver answered, and in event order.
      const recorded = await db.kysely
        .selectFrom('deliveries')
        .select(['event_id', 'status'])
        .where('webhook_id', '=', f.webhookId)
        .orderBy('event_id')
        .execute();
      const succeeded = recorded.filter((d) => d.status === 'succeeded').map((d) => d.event_id);
      expect(succeeded).toEqual(expected.slice(0, succeeded.length));
      const answered = new Set(receiver.requests.filter((r) => r.status === 204).map((r) => r.webhookId));
      expect(succeeded.filter((id) => !answered.has(id))).toEqual([]);
      expect(recorded.filter((d) => d.status === 'delivering').length).toBeLessThanOrEqual(1);

      const second = await boot(database);
      // answered, not only received: the receiver answers after 3 ms
      const answeredAll = (r: WebhookReceiver) => {
        const ok = new Set(r.requests.filter((q) => q.status === 204).map((q) => q.webhookId));
        return expected.every((id) => ok.has(id));
      };
      await receiver.waitFor(answeredAll, DELIVERY_BOUND_MS, `all ${expected.length} committed events answered`);
      checkReceived(receiver, f, expected, ['user.created', 'user.updated']);
      // The receiver may have had everything before the kill; the head the killed process held is sent again once its lease runs out.
      const done = await eventually('every delivery succeeded', DELIVERY_BOUND_MS, async () => {
        const list = await deliveries(second, f);
        return list.every((d) => d.status === 'succeeded') ? list : undefined;
      });
      expect(done.map((d) => d.event_id).sort()).toEqual([...expected].sort());
      await second.stop('SIGTERM');
    },
  );
});
