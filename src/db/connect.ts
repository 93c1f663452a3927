import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Config } from '../config.js';
import { BOOLEAN_COLUMNS, type Database } from './schema.js';
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { GroupCommit } from './group-commit.js';
import { prepareNamedStatements } from './pg-named-statements.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  /** Transactions shared by concurrent writers (one commit for all of them): the accept path's. */
  commits: GroupCommit;
  close(): Promise<void>;
}

export interface DbOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** PostgreSQL: how long opening a connection may take (unset: no bound). */
  connectTimeoutMs?: number | undefined;
  /** PostgreSQL: the server cancels a statement running longer (per connection; unset: no bound). */
  statementTimeoutMs?: number | undefined;
  /** PostgreSQL: the connections' application_name (`wuts:<node id>`: pg_stat_activity tells the nodes apart). */
  applicationName?: string | undefined;
}

const PG_TIMESTAMPTZ = 1184;
const PG_TIMESTAMP = 1114;
const PG_INT8 = 20;

function pgTypeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === PG_TIMESTAMPTZ || oid === PG_TIMESTAMP) return (v) => new Date(v).toISOString();
  if (oid === PG_INT8) return (v) => Number(v);
  return pg.types.getTypeParser(oid, format as 'text');
}

export function sqliteFilePath(dataDir: string): string {
  return path.join(dataDir, 'wuts.sqlite');
}

/** The serving database's options from the settings (migrations drop the statement timeout). */
export function databaseOptions(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'pgConnectTimeoutMs' | 'pgStatementTimeoutMs'>): DbOptions {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.pgConnectTimeoutMs,
    statementTimeoutMs: config.pgStatementTimeoutMs,
  };
}

export function openDatabase(options: DbOptions): Db {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      ...(options.applicationName ? { application_name: options.applicationName.slice(0, 63) } : {}),
      // A connection whose peer vanished (packets dropped) is noticed instead of waited on forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types: { getTypeParser: pgTypeParser as typeof pg.types.getTypeParser },
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    pool.on('connect', prepareNamedStatements);
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', commits: new GroupCommit(kysely), close: () => kysely.destroy() };
  }
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(sqliteFilePath(options.dataDir));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    plugins: [new SqliteBooleanPlugin(BOOLEAN_COLUMNS)],
  });
  return { kysely, dialect: 'sqlite', commits: new GroupCommit(kysely), close: () => kysely.destroy() };
}
