// Benchmark of webhook delivery: events written through the outbox (one per transaction) and
// delivered by the real dispatcher (createWebhookDispatcher of src/workers/index.ts: undici, Standard Webhooks
// signing, claims and leases in the database) to a plain node:http receiver on 127.0.0.1
// answering 204, beside a bare undici POST loop to the same receiver at the same concurrency.
// Build and run: npx tsc -p tsconfig.json && node dist/bench/webhooks.js [events per run]
// SQLite always; PostgreSQL too when WUTS_BENCH_DATABASE_URL or WUTS_TEST_DATABASE_URL is set
// (a fresh database is created on that server and dropped afterwards). Figures, not pass/fail.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { systemClock, type Deps } from '../src/deps.js';
import { SecretBox } from '../src/lib/secret-box.js';
import { Identities } from '../src/auth/identities.js';
import { EventBus } from '../src/events/bus.js';
import { openMediaStore } from '../src/media/open-store.js';
import { openDatabase, type Db } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { withOutbox, type NewEvent } from '../src/events/outbox.js';
import { newId } from '../src/lib/ids.js';
import { createWebhookDispatcher } from '../src/workers/index.js';

const EVENTS = Math.min(20_000, Math.max(100, Number(process.argv[2]) || 2000));
const UNLOADED = Math.min(200, EVENTS);
/** Transactions writing events side by side in a burst, so that the writer is not what limits the rate. */
const WRITERS = Math.min(64, Math.max(1, Number(process.env.WUTS_BENCH_WRITERS) || 8));
/** No run waits longer than this for its deliveries (WUTS_BENCH_RUN_SECONDS, default 60). */
const RUN_BOUND_MS = Math.min(600, Math.max(5, Number(process.env.WUTS_BENCH_RUN_SECONDS) || 60)) * 1000;
const MASTER = 'bench_master_' + randomBytes(24).toString('hex');
const PG_URL = process.env.WUTS_BENCH_DATABASE_URL || process.env.WUTS_TEST_DATABASE_URL || undefined;

// ---------------------------------------------------------------- receiver

interface Receiver {
  url(path: string): string;
  /** Receipt time (performance.now()) of each (path, webhook-id), first receipt only. */
  firstReceipt: Map<string, number>;
  requests: number;
  /** The first few requests, kept whole to check their signatures. */
  samples: { path: string; body: string; headers: Record<string, string> }[];
  waitFor(count: number, timeoutMs: number): Promise<boolean>;
  reset(): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const firstReceipt = new Map<string, number>();
  const samples: Receiver['samples'] = [];
  let waiter: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      r.requests++;
      const id = String(req.headers['webhook-id'] ?? '');
      const key = `${req.url}|${id}`;
      if (!firstReceipt.has(key)) firstReceipt.set(key, at);
      if (samples.length < 8)
        samples.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers as Record<string, string> });
      res.writeHead(204).end();
      waiter?.();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const r: Receiver = {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    firstReceipt,
    requests: 0,
    samples,
    waitFor(count, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          waiter = undefined;
          resolve(ok);
        };
        waiter = () => firstReceipt.size >= count && done(true);
        waiter();
      });
    },
    reset() {
      firstReceipt.clear();
      samples.length = 0;
      r.requests = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return r;
}

// ---------------------------------------------------------------- databases

interface BenchDb {
  deps: Deps;
  drop(): Promise<void>;
}

async function openBenchDb(kind: 'sqlite' | 'postgres'): Promise<BenchDb> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-bench-'));
  let databaseUrl: string | undefined;
  let dropPg = async () => {};
  if (kind === 'postgres') {
    const name = `wuts_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(PG_URL!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropPg = async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const config = { ...loadConfig({}), dataDir, databaseUrl, logLevel: 'silent', allowPrivateWebhooks: true };
  const db: Db = openDatabase({ databaseUrl, dataDir });
  await migrateToLatest(db);
  const logger = pino({ level: 'silent' });
  const deps: Deps = {
    config,
    db,
    masterToken: MASTER,
    secrets: new SecretBox(randomBytes(32)),
    logger,
    bus: new EventBus(),
    clock: systemClock,
    media: await openMediaStore(config),
    identities: new Identities(config, logger),
  };
  return {
    deps,
    drop: async () => {
      await db.close();
      await dropPg();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A tenant with `hooks` webhooks on the receiver (paths /hook/0, /hook/1, ...), made through the HTTP API. */
async function makeTenant(deps: Deps, receiver: Receiver, hooks: number): Promise<{ tenantId: string; secrets: Map<string, string> }> {
  const app = await buildApp(deps);
  try {
    const reg = await app.inject({
      method: 'POST',
      url: '/register',
      headers: { authorization: `Bearer ${MASTER}` },
      payload: {
        tenant_name: `Bench ${randomBytes(4).toString('hex')}`,
        email: `bench-${randomBytes(4).toString('hex')}@example.test`,
        password: 'correct-horse-battery',
      },
    });
    if (reg.statusCode !== 201) throw new Error(`register: ${reg.statusCode} ${reg.body}`);
    const { token, tenant } = reg.json() as { token: string; tenant: { id: string } };
    const secrets = new Map<string, string>();
    for (let i = 0; i < hooks; i++) {
      const created = await app.inject({
        method: 'POST',
        url: '/webhooks',
        headers: { authorization: `Bearer ${token}` },
        payload: { url: receiver.url(`/hook/${i}`) },
      });
      if (created.statusCode !== 201) throw new Error(`create webhook: ${created.statusCode} ${created.body}`);
      const id = (created.json() as { webhook: { id: string } }).webhook.id;
      const secret = await app.inject({ method: 'GET', url: `/webhooks/${id}/secret`, headers: { authorization: `Bearer ${token}` } });
      secrets.set(`/hook/${i}`, (secret.json() as { secret: string }).secret);
    }
    return { tenantId: tenant.id, secrets };
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------- runs

interface Figures {
  perSecond: number | null;
  /** Events committed per second by the writers (bursts only). */
  writtenPerSecond?: number | null;
  p50: number;
  p99: number;
  delivered: number;
  expected: number;
  note?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function latencyFigures(latencies: number[]): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

interface Scenario {
  name: string;
  /** Requests in flight the ordering and the limits allow (the bare loop runs at this). */
  concurrency: number;
  hooks: number;
  devices: number;
  /** Events written; each goes to every webhook. */
  events: number;
  /** Write the next event only once the previous one was received. */
  oneAtATime?: boolean;
  /**
   * Write every event first, with the dispatcher stopped, then start it: the rate and the
   * latencies count from its start, so they are the dispatcher's alone, not bounded by the writers.
   */
  backlog?: boolean;
}

function eventFor(tenantId: string, scenario: Scenario, i: number, devices: string[]): NewEvent {
  if (scenario.devices === 0) {
    // A tenant-level event: they all share one order key, so one webhook gets them one by one.
    const now = new Date().toISOString();
    return {
      tenantId,
      type: 'user.updated',
      data: { id: newId(), tenant_id: tenantId, email: `user${i}@example.test`, role: 'agent', active: true, created_at: now, updated_at: now },
    };
  }
  // Device events (a reserved type, the shape messages will have): each device is its own order key.
  return {
    tenantId,
    deviceId: devices[i % devices.length]!,
    type: 'message.received',
    data: { message_id: `BENCH${i}`, from: '15550001111@s.whatsapp.net', text: 'hello from the benchmark' },
  };
}

/** One run on a database of its own, so that no run inherits another's backlog. */
async function runWuts(kind: 'sqlite' | 'postgres', receiver: Receiver, scenario: Scenario): Promise<Figures & { verified: boolean }> {
  const bdb = await openBenchDb(kind);
  try {
    return await runWutsOn(bdb, receiver, scenario);
  } finally {
    await bdb.drop();
  }
}

async function runWutsOn(bdb: BenchDb, receiver: Receiver, scenario: Scenario): Promise<Figures & { verified: boolean }> {
  const { deps } = bdb;
  receiver.reset();
  const { tenantId, secrets } = await makeTenant(deps, receiver, scenario.hooks);
  const devices = Array.from({ length: scenario.devices }, () => newId());
  const dispatcher = createWebhookDispatcher(deps);
  if (!scenario.backlog) dispatcher.start();
  const committedAt = new Map<string, number>();
  const expected = scenario.events * scenario.hooks;
  const deadline = performance.now() + RUN_BOUND_MS;
  let timedOut = false;
  let started = performance.now();
  let writtenPerSecond: number | null = null;
  try {
    if (scenario.oneAtATime) {
      for (let i = 0; i < scenario.events && !timedOut; i++) {
        const id = await withOutbox(deps, async (_trx, emit) => (await emit(eventFor(tenantId, scenario, i, devices))).id);
        committedAt.set(id, performance.now());
        timedOut = !(await receiver.waitFor((i + 1) * scenario.hooks, Math.max(1, deadline - performance.now())));
      }
    } else {
      let next = 0;
      const writer = async () => {
        while (next < scenario.events && performance.now() < deadline) {
          const i = next++;
          const id = await withOutbox(deps, async (_trx, emit) => (await emit(eventFor(tenantId, scenario, i, devices))).id);
          committedAt.set(id, performance.now());
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
      writtenPerSecond = (committedAt.size * 1000) / (performance.now() - started);
      if (scenario.backlog) {
        started = performance.now();
        for (const id of committedAt.keys()) committedAt.set(id, started);
        dispatcher.start();
      }
      timedOut = !(await receiver.waitFor(expected, Math.max(1, deadline - performance.now())));
    }
  } finally {
    await dispatcher.stop();
    await dispatcher.poster.close();
  }

  const latencies: number[] = [];
  let last = started;
  for (const [key, at] of receiver.firstReceipt) {
    const id = key.slice(key.indexOf('|') + 1);
    const committed = committedAt.get(id);
    if (committed !== undefined) latencies.push(at - committed);
    last = Math.max(last, at);
  }
  const delivered = receiver.firstReceipt.size;
  const verified =
    receiver.samples.length > 0 &&
    receiver.samples.every((s) => {
      try {
        new Webhook(secrets.get(s.path)!).verify(s.body, s.headers);
        return true;
      } catch {
        return false;
      }
    });
  return {
    perSecond: scenario.oneAtATime ? null : (delivered * 1000) / (last - started),
    writtenPerSecond,
    ...latencyFigures(latencies),
    delivered,
    expected,
    verified,
    ...(timedOut ? { note: `stopped after ${RUN_BOUND_MS / 1000} s` } : {}),
  };
}

/** N POSTs of a same-sized signed-looking body with `concurrency` workers, bare undici. */
async function runBare(receiver: Receiver, requests: number, concurrency: number, oneAtATime: boolean): Promise<Figures> {
  receiver.reset();
  const agent = new Agent({ connections: 64 });
  const body = JSON.stringify({
    id: newId(),
    type: 'message.received',
    version: 1,
    tenant_id: newId(),
    device_id: newId(),
    timestamp: new Date().toISOString(),
    data: { message_id: 'BENCH0', from: '15550001111@s.whatsapp.net', text: 'hello from the benchmark' },
  });
  const headers = {
    'content-type': 'application/json',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': 'v1,' + randomBytes(32).toString('base64'),
  };
  const latencies: number[] = [];
  let next = 0;
  const deadline = performance.now() + RUN_BOUND_MS;
  const started = performance.now();
  const worker = async () => {
    while (next < requests && performance.now() < deadline) {
      next++;
      const t0 = performance.now();
      const res = await request(receiver.url('/bare'), { method: 'POST', body, headers: { ...headers, 'webhook-id': newId() }, dispatcher: agent });
      await res.body.dump();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: oneAtATime ? 1 : concurrency }, worker));
  const elapsed = performance.now() - started;
  await agent.close();
  return { perSecond: oneAtATime ? null : (latencies.length * 1000) / elapsed, ...latencyFigures(latencies), delivered: latencies.length, expected: requests };
}

// ---------------------------------------------------------------- table

const fmt = (n: number | null, digits = 0) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(digits));
const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i] ?? 0))).join('  ');

async function main(): Promise<void> {
  const config = loadConfig({});
  const small = Math.max(100, Math.round(EVENTS / 10));
  const perHook = config.webhookConcurrencyPerWebhook;
  const scenarios: Scenario[] = [
    { name: `tenant events, 1 webhook, burst of ${small}`, concurrency: 1, hooks: 1, devices: 0, events: small },
    { name: `tenant events, 1 webhook, burst of ${EVENTS}`, concurrency: 1, hooks: 1, devices: 0, events: EVENTS },
    { name: `16 devices, 1 webhook, burst of ${EVENTS}`, concurrency: perHook, hooks: 1, devices: 16, events: EVENTS },
    {
      name: `16 devices, 8 webhooks, ${Math.ceil(EVENTS / 8)} x 8`,
      concurrency: Math.min(config.webhookConcurrency, 8 * perHook),
      hooks: 8,
      devices: 16,
      events: Math.ceil(EVENTS / 8),
    },
    { name: `tenant events, 1 webhook, backlog of ${EVENTS}`, concurrency: 1, hooks: 1, devices: 0, events: EVENTS, backlog: true },
    { name: `16 devices, 1 webhook, backlog of ${EVENTS}`, concurrency: perHook, hooks: 1, devices: 16, events: EVENTS, backlog: true },
    {
      name: `16 devices, 8 webhooks, backlog ${Math.ceil(EVENTS / 8)} x 8`,
      concurrency: Math.min(config.webhookConcurrency, 8 * perHook),
      hooks: 8,
      devices: 16,
      events: Math.ceil(EVENTS / 8),
      backlog: true,
    },
    { name: `tenant events, one at a time, ${UNLOADED}`, concurrency: 1, hooks: 1, devices: 0, events: UNLOADED, oneAtATime: true },
  ];
  const kinds: ('sqlite' | 'postgres')[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

  console.log(`WUTS webhook delivery: events written through the outbox (one per transaction), delivered by the dispatcher`);
  console.log(`to node:http on 127.0.0.1 answering 204; beside it, bare undici POSTs to the same receiver at the same concurrency.`);
  console.log(`Bursts: ${WRITERS} writers side by side (WUTS_BENCH_WRITERS); WUTS ev/s counts from the first write to the last receipt.`);
  console.log(`Latency: event committed -> request received. Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}).`);
  console.log(
    `Settings: WUTS_WEBHOOK_CONCURRENCY=${config.webhookConcurrency}, WUTS_WEBHOOK_CONCURRENCY_PER_WEBHOOK=${config.webhookConcurrencyPerWebhook} (defaults).`,
  );
  if (!PG_URL) console.log('PostgreSQL: skipped (set WUTS_BENCH_DATABASE_URL or WUTS_TEST_DATABASE_URL).');
  console.log('');

  const widths = [10, 40, 4, 9, 9, 9, 9, 9, 8, 7, 7, 6];
  console.log(
    row(['database', 'scenario', 'conc', 'written/s', 'delivered', 'WUTS ev/s', 'p50 ms', 'p99 ms', 'undici/s', 'p50 ms', 'p99 ms', 'ratio'], widths),
  );
  console.log('-'.repeat(widths.reduce((a, b) => a + b + 2, -2)));
  const receiver = await startReceiver();
  const notes: string[] = [];
  try {
    for (const kind of kinds) {
      const label = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      for (const s of scenarios) {
        let w: Awaited<ReturnType<typeof runWuts>>;
        try {
          w = await runWuts(kind, receiver, s);
        } catch (err) {
          console.log(row([label, s.name, `failed: ${(err as Error).message}`], [10, 40, 0]));
          continue;
        }
        const b = await runBare(receiver, w.expected, s.concurrency, s.oneAtATime ?? false);
        const ratio =
          w.perSecond !== null && b.perSecond ? `${fmt((100 * w.perSecond) / b.perSecond, 1)}%` : w.p50 && b.p50 ? `${fmt(w.p50 / b.p50, 0)}x` : '-';
        console.log(
          row(
            [
              label,
              s.name,
              String(s.concurrency),
              fmt(w.writtenPerSecond ?? null),
              `${w.delivered}/${w.expected}`,
              fmt(w.perSecond),
              fmt(w.p50, 1),
              fmt(w.p99, 1),
              fmt(b.perSecond),
              fmt(b.p50, 2),
              fmt(b.p99, 2),
              ratio,
            ],
            widths,
          ),
        );
        if (!w.verified) notes.push(`${label} / ${s.name}: a sampled request did NOT verify with standardwebhooks`);
        if (w.note) notes.push(`${label} / ${s.name}: ${w.note}`);
      }
    }
  } finally {
    await receiver.close();
  }
  console.log('');
  console.log('ratio: WUTS deliveries per second as a share of the bare undici loop; for the one-at-a-time row, WUTS p50 latency over bare p50.');
  console.log('Sampled requests of every run were checked with the standardwebhooks package.');
  for (const n of notes) console.log(`note: ${n}`);
}

await main();
