// Shared pieces of bench/messages.ts and its child processes: a scratch database (SQLite in a
// temporary directory, or a fresh PostgreSQL database dropped afterwards), WUTS's dependencies, workers and
// app on it, a tenant with devices made through the HTTP API, percentiles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { systemClock, type Deps } from '../src/deps.js';
import { SecretBox } from '../src/lib/secret-box.js';
import { Identities } from '../src/auth/identities.js';
import { EventBus } from '../src/events/bus.js';
import { openMediaStore } from '../src/media/open-store.js';
import { createWorkers, type WhatsAppTimeouts, type Workers } from '../src/workers/index.js';
import { openDatabase, type Db } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';

export type Kind = 'sqlite' | 'postgres';
export const LABEL: Record<Kind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The queue limit is raised so that no accepted message is refused (429) during a run. */
export const BENCH_LIMITS: Partial<Config> = { maxQueuedPerDevice: 100_000_000, maxDevicesPerTenant: 100 };

export interface BenchWuts {
  kind: Kind;
  deps: Deps;
  workers: Workers;
  app: FastifyInstance;
  db: Db;
  dataDir: string;
  /** the scratch PostgreSQL database's URL (undefined on SQLite) */
  databaseUrl: string | undefined;
  masterToken: string;
  close(): Promise<void>;
}

/** A scratch database (SQLite file in a temp dir, or `create database` on the server of `pgUrl`), migrated, with WUTS's dependencies, workers and app on it. */
export async function openWuts(kind: Kind, pgUrl: string | undefined, overrides: Partial<Config> = {}, whatsapp: WhatsAppTimeouts = {}): Promise<BenchWuts> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-bench-msg-'));
  let databaseUrl: string | undefined;
  let dropPg = async () => {};
  if (kind === 'postgres') {
    if (!pgUrl) throw new Error('PostgreSQL asked for without a server URL');
    const name = `wuts_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(pgUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropPg = async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const masterToken = 'bench_master_' + randomBytes(24).toString('hex');
  const config: Config = { ...loadConfig({}), dataDir, databaseUrl, logLevel: 'silent', allowPrivateWebhooks: true, ...BENCH_LIMITS, ...overrides };
  const db = openDatabase({ databaseUrl, dataDir });
  await migrateToLatest(db);
  // WUTS_BENCH_LOG_LEVEL (e.g. error) shows what WUTS logs during a run; silent by default
  const logger = pino({ level: process.env.WUTS_BENCH_LOG_LEVEL || 'silent' });
  const deps: Deps = {
    config,
    db,
    masterToken,
    secrets: new SecretBox(randomBytes(32)),
    logger,
    bus: new EventBus(),
    clock: systemClock,
    media: await openMediaStore(config),
    identities: new Identities(config, logger),
  };
  const app = await buildApp(deps);
  const workers = createWorkers(deps, { whatsapp });
  await workers.start({ dispatcher: false });
  let closed = false;
  return {
    kind,
    deps,
    workers,
    app,
    db,
    dataDir,
    databaseUrl,
    masterToken,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      await workers.stop();
      await db.close();
      await dropPg();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A tenant registered with the master token, and `devices` devices created by its admin (all through app.inject). */
export async function tenantWithDevices(w: BenchWuts, devices: number): Promise<{ token: string; tenantId: string; deviceIds: string[] }> {
  const tag = randomBytes(4).toString('hex');
  const reg = await w.app.inject({
    method: 'POST',
    url: '/register',
    headers: { authorization: `Bearer ${w.masterToken}` },
    payload: { tenant_name: `Bench ${tag}`, email: `bench-${tag}@example.test`, password: 'correct-horse-battery' },
  });
  if (reg.statusCode !== 201) throw new Error(`register: ${reg.statusCode} ${reg.body}`);
  const { token, tenant } = reg.json() as { token: string; tenant: { id: string } };
  const deviceIds: string[] = [];
  for (let i = 0; i < devices; i++) {
    const created = await w.app.inject({ method: 'POST', url: '/devices', headers: { authorization: `Bearer ${token}` }, payload: { name: `bench ${i}` } });
    if (created.statusCode !== 201) throw new Error(`create device: ${created.statusCode} ${created.body}`);
    deviceIds.push((created.json() as { device: { id: string } }).device.id);
  }
  return { token, tenantId: tenant.id, deviceIds };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function latency(values: number[]): { p50: number; p99: number; n: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

export const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

/** Left-aligns the first `textColumns` cells, right-aligns the others, to the widest cell of each column. */
export function table(rows: string[][], textColumns = 2): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export { withTimeout } from './emulator-child.js';
