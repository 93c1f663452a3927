// A 202 survives a SIGKILL right after it was answered (issue 14: accepts share transactions,
// group commit): the real `wuts serve` process takes sends from 8 clients at once and is killed
// with SIGKILL the moment the client holds its 100th 202; every accepted message is then stored,
// queued, with its status row and its place in the device's queue count, and the restarted
// server answers each of them. Runs on SQLite, or on PostgreSQL when WUTS_TEST_DATABASE_URL is
// set. Needs the build (npm run build): it spawns dist.
import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PASSWORD } from '../helpers/factories.js';
import { api, ok } from '../helpers/http.js';
import type { Db } from '../../src/db/connect.js';

const MASTER = 'accept_crash_master_' + randomBytes(24).toString('hex');
const CLIENTS = 8;
const KILL_AT = 100;
/** Each client stops after this many requests whatever happens (bounded load). */
const MAX_PER_CLIENT = 200;

const servers: RunningServer[] = [];
const databases: TestDatabase[] = [];
const handles: Db[] = [];

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
  for (const h of handles) await h.close().catch(() => {});
  for (const d of databases) await d.drop();
});

async function boot(database: TestDatabase): Promise<RunningServer> {
  const server = await startServer({
    WUTS_DATA_DIR: database.dataDir,
    DATABASE_URL: database.databaseUrl,
    WUTS_MASTER_TOKEN: MASTER,
    WUTS_MAX_QUEUED_PER_DEVICE: '100000',
    LOG_LEVEL: 'warn',
  });
  servers.push(server);
  return server;
}

it('every message answered 202 is stored after a SIGKILL that follows the answer at once', async () => {
  const database = await createTestDatabase();
  databases.push(database);
  const server = await boot(database);
  const reg = await ok(
    api(server.baseUrl, 'POST', '/register', MASTER, {
      tenant_name: `Accept crash ${randomBytes(4).toString('hex')}`,
      email: `admin-${randomBytes(4).toString('hex')}@example.test`,
      password: PASSWORD,
    }),
    201,
  );
  const token: string = reg.token;
  const device = await ok(api(server.baseUrl, 'POST', '/devices', token, { name: 'crash phone' }), 201);
  const deviceId: string = device.device.id;

  const accepted: string[] = [];
  let killed = false;
  const client = async (n: number) => {
    for (let i = 0; i < MAX_PER_CLIENT && !killed; i++) {
      let res: Response;
      try {
        res = await fetch(`${server.baseUrl}/devices/${deviceId}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'text', to: `5511${String(90000000 + n * 1000 + i)}`, text: `crash ${n}/${i}` }),
        });
      } catch {
        return; // the server is gone
      }
      if (res.status !== 202) {
        expect(killed, `unexpected ${res.status}: ${await res.text()}`).toBe(true);
        return;
      }
      const body = (await res.json()) as { message: { id: string } };
      accepted.push(body.message.id);
      if (accepted.length === KILL_AT && !killed) {
        killed = true;
        server.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
  expect(killed).toBe(true);
  await new Promise<void>((resolve) =>
    server.child.exitCode !== null || server.child.signalCode !== null ? resolve() : server.child.once('exit', () => resolve()),
  );
  expect(server.child.signalCode).toBe('SIGKILL');
  expect(accepted.length).toBeGreaterThanOrEqual(KILL_AT);

  const db = database.reopen();
  handles.push(db);
  const rows = await db.kysely.selectFrom('messages').select(['id', 'status']).where('device_id', '=', deviceId).execute();
  const stored = new Map(rows.map((r) => [r.id, r.status]));
  const lost = accepted.filter((id) => !stored.has(id));
  expect(lost, `${lost.length} of ${accepted.length} accepted messages were lost`).toEqual([]);
  for (const id of accepted) expect(stored.get(id)).toBe('queued');
  const statuses = await db.kysely
    .selectFrom('message_statuses')
    .select('message_id')
    .where('message_id', 'in', accepted)
    .where('status', '=', 'queued')
    .execute();
  expect(new Set(statuses.map((s) => s.message_id)).size).toBe(accepted.length);
  // messages the client never heard about may be stored too (committed, answer lost): the count follows the rows
  const dev = await db.kysely.selectFrom('devices').select('queued_count').where('id', '=', deviceId).executeTakeFirstOrThrow();
  expect(Number(dev.queued_count)).toBe(rows.length);

  const again = await boot(database);
  for (const id of accepted.slice(0, 20)) {
    const m = await ok(api(again.baseUrl, 'GET', `/messages/${id}`, token), 200);
    expect(m.message.status).toBe('queued');
  }
}, 90_000);
