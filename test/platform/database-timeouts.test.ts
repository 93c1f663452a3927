// The PostgreSQL pool's bounds (issue 11): opening a connection to a server that never answers
// fails within WUTS_PG_CONNECT_TIMEOUT_SECONDS, and a statement running longer than
// WUTS_PG_STATEMENT_TIMEOUT_SECONDS is cancelled by the server; the pool stays usable.
import os from 'node:os';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseOptions, openDatabase, type Db } from '../../src/db/connect.js';
import { assertDatabaseReachable } from '../../src/db/reachable.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { silentServers } from '../helpers/ports.js';

const opened: Db[] = [];
const silent = silentServers();
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.close().catch(() => {});
  await silent.closeAll();
  for (const d of databases) await d.drop();
});

describe('PostgreSQL connect timeout', () => {
  it('a server that accepts and never answers fails the connection within the setting, naming the cause', async () => {
    const port = await silent.start();
    const config = loadConfig({ DATABASE_URL: `postgres://wuts@127.0.0.1:${port}/wuts`, WUTS_DATA_DIR: os.tmpdir(), WUTS_PG_CONNECT_TIMEOUT_SECONDS: '1' });
    const db = openDatabase(databaseOptions(config));
    opened.push(db);
    const started = Date.now();
    const outcome = await Promise.race([
      assertDatabaseReachable(db, { databaseUrl: config.databaseUrl, connectTimeoutMs: config.pgConnectTimeoutMs }).then(
        () => 'answered',
        (err: Error) => err.message,
      ),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 5 s'), 5_000)),
    ]);
    expect(outcome).toBe(`cannot connect to PostgreSQL at 127.0.0.1:${port}: no answer within 1 s`);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

// The statement timeout is PostgreSQL's own (SQLite has none): these run with WUTS_TEST_DATABASE_URL.
if (DIALECT === 'postgres') {
  describe('PostgreSQL statement timeout', () => {
    it('a statement running longer than WUTS_PG_STATEMENT_TIMEOUT_SECONDS is cancelled, and the pool goes on', async () => {
      const database = await createTestDatabase({ migrate: false });
      databases.push(database);
      const config = loadConfig({ DATABASE_URL: database.databaseUrl, WUTS_DATA_DIR: database.dataDir, WUTS_PG_STATEMENT_TIMEOUT_SECONDS: '1' });
      const db = openDatabase(databaseOptions(config));
      opened.push(db);

      const shown = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db.kysely);
      expect(shown.rows[0]?.statement_timeout).toBe('1s');

      const started = Date.now();
      const err = await sql`select pg_sleep(4)`.execute(db.kysely).then(
        () => undefined,
        (e: { code?: string; message?: string }) => e,
      );
      const took = Date.now() - started;
      expect(err, 'pg_sleep(4) should have been cancelled').toBeDefined();
      expect(err).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(3_000);

      const after = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      expect(after.rows).toEqual([{ one: 1 }]);
    });

    it('the default is 30 s', async () => {
      const database = await createTestDatabase({ migrate: false });
      databases.push(database);
      const db = openDatabase(databaseOptions(loadConfig({ DATABASE_URL: database.databaseUrl, WUTS_DATA_DIR: database.dataDir })));
      opened.push(db);
      const shown = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db.kysely);
      expect(shown.rows[0]?.statement_timeout).toBe('30s');
    });
  });
}
