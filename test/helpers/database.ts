import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { SecretBox } from '../../src/lib/secret-box.js';

/** The PostgreSQL server tests use when WUTS_TEST_DATABASE_URL is set; SQLite otherwise. */
export const TEST_PG_URL = process.env.WUTS_TEST_DATABASE_URL || undefined;
export const DIALECT = TEST_PG_URL ? 'postgres' : 'sqlite';

export interface TestDatabase {
  db: Db;
  /** The database's secret key (random per database), as `wuts serve` would load it. */
  secretKey: Buffer;
  /** Seals and opens this database's secrets with `secretKey`. */
  secrets: SecretBox;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Opens another connection to the same database (a second node, or a restart). */
  reopen(): Db;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database on the server of `baseUrl` (not migrated); `drop` removes it. */
export async function createPgDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `wuts_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A fresh, migrated database of its own for one test file (SQLite file or PostgreSQL database). */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-test-'));
  let databaseUrl: string | undefined;
  let dropPg = async () => {};
  if (TEST_PG_URL) {
    const created = await createPgDatabase(TEST_PG_URL);
    databaseUrl = created.url;
    dropPg = created.drop;
  }
  const open = () => openDatabase({ databaseUrl, dataDir, poolSize: 10 });
  const db = open();
  if (options.migrate !== false) await migrateToLatest(db);
  const secretKey = randomBytes(32);
  return {
    db,
    secretKey,
    secrets: new SecretBox(secretKey),
    dataDir,
    databaseUrl,
    reopen: open,
    drop: async () => {
      await db.close();
      await dropPg();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
