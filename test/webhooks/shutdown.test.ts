// Shutdown in order (issue 11): at SIGTERM `wuts serve` stops claiming deliveries, gives the
// ones in flight WUTS_SHUTDOWN_GRACE_SECONDS, abandons the rest without recording anything (the
// lease, still held, makes them claimable once it runs out), and exits 0. A receiver on
// 127.0.0.1 answers slowly; the restarted process delivers the abandoned delivery again, with
// the same webhook-id. Runs on SQLite, or on PostgreSQL with WUTS_TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { PASSWORD } from '../helpers/factories.js';
import { api, ok } from '../helpers/http.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';

const MASTER = 'shutdown_test_master_' + randomBytes(24).toString('hex');
const TIMEOUT_SECONDS = 5;
/** The dispatcher leases a claimed delivery for the request timeout + 10 s (src/workers/webhook-dispatcher.ts). */
const LEASE_MS = TIMEOUT_SECONDS * 1000 + 10_000;

const servers: RunningServer[] = [];
const receivers: WebhookReceiver[] = [];
const databases: TestDatabase[] = [];

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
  for (const r of receivers) await r.close();
  for (const d of databases) await d.drop();
});

async function boot(database: TestDatabase, graceSeconds: number): Promise<RunningServer> {
  const server = await startServer({
    WUTS_DATA_DIR: database.dataDir,
    DATABASE_URL: database.databaseUrl,
    WUTS_MASTER_TOKEN: MASTER,
    WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
    WUTS_WEBHOOK_RETRY_SCHEDULE: ['0', ...Array<string>(9).fill('1')].join(','),
    WUTS_WEBHOOK_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    WUTS_SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
  });
  servers.push(server);
  return server;
}

/** SIGTERM; answers the exit code and how long the process took to exit. */
async function terminate(server: RunningServer): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const code = await server.stop('SIGTERM');
  return { code, ms: Date.now() - started };
}

interface Fixture {
  token: string;
  webhookId: string;
}

/** A tenant with a webhook pointed at the receiver, which gets its secret. */
async function setUp(server: RunningServer, receiver: WebhookReceiver): Promise<Fixture> {
  const reg = await ok(
    api(server.baseUrl, 'POST', '/register', MASTER, {
      tenant_name: `Shutdown ${randomBytes(4).toString('hex')}`,
      email: `admin-${randomBytes(4).toString('hex')}@example.test`,
      password: PASSWORD,
    }),
    201,
  );
  const hook = await ok(api(server.baseUrl, 'POST', '/webhooks', reg.token, { url: receiver.url }), 201);
  receiver.setSecrets((await ok(api(server.baseUrl, 'GET', `/webhooks/${hook.webhook.id}/secret`, reg.token), 200)).secret);
  return { token: reg.token, webhookId: hook.webhook.id };
}

async function newUser(server: RunningServer, f: Fixture): Promise<void> {
  await ok(
    api(server.baseUrl, 'POST', '/users', f.token, { email: `agent-${randomBytes(6).toString('hex')}@example.test`, password: PASSWORD, role: 'agent' }),
    201,
  );
}

/** The deliveries and their attempts as stored (read while no WUTS runs), in event order. */
async function stored(database: TestDatabase, webhookId: string) {
  const db = database.db.kysely;
  const rows = await db
    .selectFrom('deliveries')
    .select(['id', 'event_id', 'status', 'attempt_count'])
    .where('webhook_id', '=', webhookId)
    .orderBy('event_id')
    .execute();
  return Promise.all(
    rows.map(async (d) => ({
      ...d,
      attempts: (await db.selectFrom('delivery_attempts').select(['status_code', 'error']).where('delivery_id', '=', d.id).execute()).length,
    })),
  );
}

describe(`SIGTERM lets webhook deliveries finish within the grace period (${DIALECT})`, () => {
  it(
    'a delivery still in flight at the end of the grace period is abandoned, the process exits 0 at once, and the next start sends it again',
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const receiver = await startReceiver({ mode: { status: 204, delayMs: 60_000 } });
      receivers.push(receiver);
      const grace = 2;

      const first = await boot(database, grace);
      const f = await setUp(first, receiver);
      await newUser(first, f);
      await receiver.waitFor((r) => r.requests.length === 1, 10_000, 'the request of the delivery');

      const { code, ms } = await terminate(first);
      expect(code, first.output()).toBe(0);
      expect(ms, 'exits within the grace period and a little, not after the 5 s request timeout').toBeLessThan(grace * 1000 + 2_500);
      expect(ms, 'waited for the delivery during the grace period').toBeGreaterThanOrEqual(grace * 1000 - 500);
      // abandoned: still claimed, no attempt recorded
      const [abandoned] = await stored(database, f.webhookId);
      expect(abandoned).toMatchObject({ status: 'delivering', attempt_count: 0, attempts: 0 });

      receiver.respondWith('ok');
      const second = await boot(database, grace);
      await receiver.waitFor((r) => r.requests.some((q) => q.status === 204), LEASE_MS + 15_000, 'the delivery sent again');
      const copies = receiver.requests.filter((r) => r.webhookId === receiver.requests[0]!.webhookId);
      expect(copies.length).toBe(2);
      expect(receiver.unverified()).toEqual([]);
      expect(await terminate(second)).toMatchObject({ code: 0 });
      expect(await stored(database, f.webhookId)).toEqual([{ ...abandoned, status: 'succeeded', attempt_count: 1, attempts: 1 }]);
    },
  );

  it('a delivery that answers within the grace period is recorded, and nothing new is claimed after SIGTERM', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const receiver = await startReceiver({ mode: { status: 204, delayMs: 1_500 } });
    receivers.push(receiver);

    const server = await boot(database, 10);
    const f = await setUp(server, receiver);
    await newUser(server, f);
    await receiver.waitFor((r) => r.requests.length === 1, 10_000, 'the first request');
    // The tenant's events share one order key: the second delivery waits until the first is done.
    await newUser(server, f);
    const { code, ms } = await terminate(server);
    expect(code, server.output()).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(ms).toBeLessThan(6_000);

    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.status).toBe(204);
    const [done, waiting] = await stored(database, f.webhookId);
    expect(done).toMatchObject({ status: 'succeeded', attempt_count: 1, attempts: 1 });
    expect(waiting).toMatchObject({ status: 'pending', attempt_count: 0, attempts: 0 });
  });
});
