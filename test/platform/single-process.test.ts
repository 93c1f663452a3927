// One `wuts serve` per SQLite data directory, and nothing changed by a start that fails
// (issue 11): a second process on the same data directory stops with one line and leaves the
// first one alone; a lock left by a dead process does not block a start; a start whose port is
// taken exits before any worker ran, so no device row moved.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { PASSWORD } from '../helpers/factories.js';
import { api, ok } from '../helpers/http.js';
import { closedPort } from '../helpers/ports.js';

const MASTER = 'single_process_master_' + randomBytes(24).toString('hex');
const servers: RunningServer[] = [];
const databases: TestDatabase[] = [];
const blockers: net.Server[] = [];

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
  for (const b of blockers) await new Promise((r) => b.close(r));
  for (const d of databases) await d.drop();
});

async function newDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
}

async function env(database: TestDatabase): Promise<Record<string, string | undefined>> {
  return {
    WUTS_DATA_DIR: database.dataDir,
    DATABASE_URL: database.databaseUrl,
    WUTS_MASTER_TOKEN: MASTER,
    WUTS_WA_WS_URL: `ws://127.0.0.1:${await closedPort()}/ws/chat`,
  };
}

async function boot(e: Record<string, string | undefined>): Promise<RunningServer> {
  const server = await startServer(e);
  servers.push(server);
  return server;
}

const lockFile = (database: TestDatabase) => path.join(database.dataDir, 'wuts.lock');

/** The PID of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid;
}

if (DIALECT === 'sqlite') {
  describe('one wuts serve per SQLite data directory', () => {
    it('a second process on the same data directory exits with one line; the first goes on', { timeout: 60_000 }, async () => {
      const database = await newDatabase();
      const e = await env(database);
      const first = await boot(e);
      expect(fs.readFileSync(lockFile(database), 'utf8').trim()).toBe(String(first.child.pid));

      const second = await runCli(['serve'], { ...e, HOST: '127.0.0.1', PORT: '0' }, 15_000);
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      const lines = second.stderr.trim().split('\n');
      expect(lines, second.stderr).toHaveLength(1);
      expect(lines[0]).toBe(
        `wuts: another wuts serve (pid ${first.child.pid}) is using the data directory ${database.dataDir}; stop it first or use another WUTS_DATA_DIR (if pid ${first.child.pid} is not WUTS, remove ${lockFile(database)}). SQLite runs a single node: to run several nodes on one database, use PostgreSQL (DATABASE_URL)`,
      );

      expect((await fetch(`${first.baseUrl}/ready`)).status).toBe(200);
      expect(fs.readFileSync(lockFile(database), 'utf8').trim()).toBe(String(first.child.pid));
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(fs.existsSync(lockFile(database)), 'the lock is removed at exit').toBe(false);
    });

    it('a lock left by a process that no longer runs does not block a start', { timeout: 60_000 }, async () => {
      const database = await newDatabase();
      const dead = deadPid();
      fs.writeFileSync(lockFile(database), `${dead}\n`);
      const server = await boot(await env(database));
      expect(fs.readFileSync(lockFile(database), 'utf8').trim()).toBe(String(server.child.pid));
      expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
      expect(await server.stop('SIGTERM')).toBe(0);
    });
  });
} else {
  describe('PostgreSQL: no data directory lock', () => {
    it('two wuts serve on one database and data directory both run', { timeout: 60_000 }, async () => {
      const database = await newDatabase();
      const e = await env(database);
      const [first, second] = [await boot(e), await boot(e)];
      expect(fs.existsSync(lockFile(database))).toBe(false);
      for (const s of [first, second]) expect((await fetch(`${s.baseUrl}/ready`)).status).toBe(200);
      for (const s of [first, second]) expect(await s.stop('SIGTERM')).toBe(0);
    });
  });
}

describe(`a start that fails changes nothing (${DIALECT})`, () => {
  it('wuts serve on a taken port exits non-zero before any worker ran: the device row is untouched', { timeout: 60_000 }, async () => {
    const database = await newDatabase();
    const e = await env(database);
    const setup = await boot(e);
    const reg = await ok(
      api(setup.baseUrl, 'POST', '/register', MASTER, {
        tenant_name: 'Port taken',
        email: `admin-${randomBytes(4).toString('hex')}@example.test`,
        password: PASSWORD,
      }),
      201,
    );
    const device = await ok(api(setup.baseUrl, 'POST', '/devices', reg.token, { name: 'Front desk' }), 201);
    expect(await setup.stop('SIGTERM')).toBe(0);

    // The device was connected before: a start reconnects it.
    const id: string = device.device.id;
    await database.db.kysely.updateTable('devices').set({ auto_connect: true, status: 'disconnected', reason: 'shut down' }).where('id', '=', id).execute();
    const readRow = () => database.db.kysely.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const before = await readRow();
    expect(before.auto_connect).toBeTruthy();

    const blocker = net.createServer();
    blockers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const res = await runCli(['serve'], { ...e, HOST: '127.0.0.1', PORT: String(port) }, 15_000);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n'), res.stderr).toEqual([`wuts: could not start: listen EADDRINUSE: address already in use 127.0.0.1:${port}`]);

    // what a started worker would have done at once: the device row says `connecting`
    await new Promise((r) => setTimeout(r, 500));
    expect(await readRow()).toEqual(before);
    if (DIALECT === 'sqlite') expect(fs.existsSync(lockFile(database)), 'the lock is removed at exit').toBe(false);
  });
});
