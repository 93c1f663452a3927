// Benchmark of a WUTS cluster (issue 15): several `wuts serve` processes on one PostgreSQL database.
//
// 1. Takeover after SIGKILL. Three nodes, N devices linked by QR through the emulator and spread
//    over them. Each run SIGKILLs the node holding the most devices (among equals, each in turn)
//    and polls a surviving node every 100 ms (GET /devices/{id}, GET /cluster) until every device
//    the killed node held is
//    `connected` again on another node (its lease, read from `device_leases`, names another node
//    and its `connected_at` is after the kill). Per run and p50/p95: the time from the kill to the
//    last device connected elsewhere, and the same from the killed node's last heartbeat
//    (`heartbeat_at` of GET /cluster read just before the kill). The killed node is then started
//    again under the same WUTS_NODE_ID and the devices rebalance before the next run. Two rows:
//    the default settings (heartbeat 5000 ms, lease 20000 ms), then heartbeat 1000 / lease 5000.
// 2. Send latency under the same steady load (texts to a peer emulator account at --rate per
//    second for --seconds, open loop, the devices in turn): against one node alone (the other two
//    stopped with SIGTERM, so it holds every device), then against the three nodes with the
//    requests spread round-robin over them (most land on a node that does not hold the device).
//    Accept -> sent per message, two ways: the server's own status history (GET /messages/{id}:
//    `queued` at -> `sent` at), and as a client sees it (202 received -> the `message.sent`
//    webhook received on 127.0.0.1). p50/p95/p99 and the ratio cluster / single, per round (a round
//    is one single-node load then one cluster load), with the mean number of WUTS connections
//    waiting on a row lock (pg_stat_activity, sampled every 100 ms).
//
// Build and run from the repository root: npm run build && node dist/bench/cluster.js
//   options: --runs R (takeover runs per row, default 10, at most 20), --devices N (default 6,
//            2..24), --rate M (messages per second, default 20, at most 50), --seconds S (load
//            duration, default 15, at most 60), --rounds K (single/cluster pairs of the send load,
//            default 2, at most 5), --only takeover|send, --pg-url URL (a server on
//            which a fresh database is created and dropped afterwards; default
//            postgres://postgres@127.0.0.1:5432/test)
// Every target is on 127.0.0.1; every wait is bounded; figures, never pass/fail. The nodes run with
// WUTS_SEND_INTERVAL_MS=0 and WUTS_SEND_JITTER_PERCENT=0 (no pacing: the load is not held back by
// the per-device pause) and LOG_LEVEL=warn; their logs are written to a temporary directory, whose
// path is printed with a count of their warnings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startServer, type RunningServer } from '../test/helpers/cli.js';
import { createPgDatabase } from '../test/helpers/database.js';
import { startReceiver, type WebhookReceiver } from '../test/helpers/receiver.js';
import { inBatches, linkOne, type Caller } from './devices-wuts.js';
import { emulatorApi, spawnEmulator, type EmulatorChild } from './emulator-child.js';
import { DEFAULT_PG_URL, fmt, percentile, table } from './messages-common.js';

const argv = process.argv.slice(2);
const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const num = (name: string, dflt: number, min: number, max: number) => Math.min(max, Math.max(min, Number(opt(name) ?? dflt) || dflt));
const RUNS = num('--runs', 10, 1, 20);
const DEVICES = num('--devices', 6, 2, 24);
const RATE = num('--rate', 20, 1, 50);
const SECONDS = num('--seconds', 15, 1, 60);
const ROUNDS = num('--rounds', 2, 1, 5);
const ONLY = opt('--only');
const PG_URL = opt('--pg-url') ?? DEFAULT_PG_URL;
const NODE_IDS = ['bench-a', 'bench-b', 'bench-c'];
const POLL_MS = 100;

interface Timing {
  heartbeatMs: number;
  leaseMs: number;
}
const DEFAULT_TIMING: Timing = { heartbeatMs: 5000, leaseMs: 20000 };
const FAST_TIMING: Timing = { heartbeatMs: 1000, leaseMs: 5000 };

// ---------------------------------------------------------------------------------------------
// HTTP on 127.0.0.1

interface Answer {
  statusCode: number;
  body: string;
  json(): any;
}

async function http(base: string, method: 'GET' | 'POST', url: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { statusCode: res.status, body: text, json: () => JSON.parse(text) };
}

async function ok(base: string, method: 'GET' | 'POST', url: string, token: string, body?: unknown, expect = [200, 201, 202]): Promise<any> {
  const res = await http(base, method, url, token, body);
  if (!expect.includes(res.statusCode)) throw new Error(`${method} ${url} on ${base}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.json();
}

/** Polls `check` every `everyMs` until it answers a value (not undefined); throws after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>, everyMs = POLL_MS): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError = '';
  for (;;) {
    const v = await check().catch((err: unknown) => void (lastError = ` (last error: ${(err as Error).message})`));
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}${lastError}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The cluster: three `wuts serve` processes on one database

interface Node {
  id: string;
  server: RunningServer | undefined;
  /** every run's output (LOG_LEVEL=warn), kept for the log files */
  logs: string[];
}

interface Cluster {
  env: Record<string, string>;
  timing: Timing;
  nodes: Node[];
  master: string;
  logDir: string;
}

const running = (n: Node) => !!n.server && n.server.child.exitCode === null && n.server.child.signalCode === null;
const urlOf = (n: Node) => n.server!.baseUrl;
const anyRunning = (c: Cluster) => c.nodes.find(running)!;

async function startNode(c: Cluster, node: Node): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `wuts-bench-${node.id}-`));
  node.server = await startServer(
    {
      ...c.env,
      WUTS_DATA_DIR: dataDir,
      WUTS_NODE_ID: node.id,
      WUTS_CLUSTER_HEARTBEAT_MS: String(c.timing.heartbeatMs),
      WUTS_CLUSTER_LEASE_MS: String(c.timing.leaseMs),
    },
    60_000,
  );
  const s = node.server;
  s.child.once('exit', () => node.logs.push(s.output()));
}

/** SIGTERM (drain) or SIGKILL; bounded: a node not gone after 30 s is killed. */
async function stopNode(node: Node, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!running(node)) return;
  const s = node.server!;
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 30_000);
  await s.stop(signal);
  clearTimeout(timer);
}

function writeLogs(c: Cluster): string {
  const lines: string[] = [];
  for (const n of c.nodes) {
    const text = [...n.logs, running(n) ? n.server!.output() : ''].join('\n');
    fs.writeFileSync(path.join(c.logDir, `${n.id}.log`), text);
    const warns = text.split('\n').filter((l) => /"level":(40|50|60)/.test(l));
    const byMsg = new Map<string, number>();
    for (const l of warns) {
      const msg = /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 80);
      byMsg.set(msg, (byMsg.get(msg) ?? 0) + 1);
    }
    lines.push(`  ${n.id}: ${warns.length} warnings or errors${[...byMsg].map(([m, k]) => `\n    ${k} x ${m}`).join('')}`);
  }
  return lines.join('\n');
}

interface ClusterView {
  node_id: string;
  nodes: { id: string; role: string; alive: boolean; draining: boolean; devices_held: number; heartbeat_at: string }[];
  devices: { wanted: number; held: number; unheld: number };
}

const clusterView = (c: Cluster, node = anyRunning(c)): Promise<ClusterView> => ok(urlOf(node), 'GET', '/cluster', c.master);

// ---------------------------------------------------------------------------------------------
// Leases, read from the database (the API says how many devices a node holds, not which)

async function holders(db: pg.Client): Promise<Map<string, string>> {
  const { rows } = await db.query<{ device_id: string; node_id: string }>(
    `select device_id, node_id from device_leases where node_id is not null and expires_ms > (extract(epoch from clock_timestamp()) * 1000)`,
  );
  return new Map(rows.map((r) => [r.device_id, r.node_id]));
}

interface Fleet {
  token: string;
  deviceIds: string[];
  peer: string;
}

interface DeviceView {
  status: string;
  connected_at: string | null;
}
const deviceView = async (c: Cluster, node: Node, f: Fleet, id: string): Promise<DeviceView> =>
  (await ok(urlOf(node), 'GET', `/devices/${id}`, f.token)).device as DeviceView;

/**
 * Every device held by a running node and connected, each running node holding at most its fair
 * share (ceil(N / running nodes)): the placement has settled. Checked twice, a second apart.
 */
async function waitSpread(c: Cluster, db: pg.Client, f: Fleet, ms: number): Promise<Map<string, string>> {
  const settled = async () => {
    const live = c.nodes.filter(running);
    const held = await holders(db);
    const share = Math.ceil(f.deviceIds.length / live.length);
    const per = new Map(live.map((n) => [n.id, 0]));
    for (const id of f.deviceIds) {
      const holder = held.get(id);
      if (holder === undefined || !per.has(holder)) return undefined;
      per.set(holder, per.get(holder)! + 1);
    }
    if ([...per.values()].some((k) => k > share)) return undefined;
    const views = await Promise.all(f.deviceIds.map((id) => deviceView(c, live[0]!, f, id)));
    return views.every((v) => v.status === 'connected') ? held : undefined;
  };
  return until('the devices spread over the running nodes, all connected', ms, async () => {
    if (!(await settled())) return undefined;
    await sleep(1000);
    return settled();
  });
}

// ---------------------------------------------------------------------------------------------
// Setup: tenant, webhook, devices linked by QR

async function makeFleet(c: Cluster, emu: EmulatorChild, receiver: WebhookReceiver): Promise<Fleet> {
  const base = urlOf(c.nodes[0]!);
  const tag = randomBytes(4).toString('hex');
  const reg = await ok(base, 'POST', '/register', c.master, {
    tenant_name: `Bench ${tag}`,
    email: `bench-${tag}@example.test`,
    password: 'correct-horse-battery',
  });
  const token = reg.token as string;
  const hook = await ok(base, 'POST', '/webhooks', token, { url: receiver.url, event_types: ['message.sent'] });
  receiver.setSecrets((await ok(base, 'GET', `/webhooks/${hook.webhook.id}/secret`, token)).secret);
  const phones = Array.from({ length: DEVICES }, (_, i) => String(15553000000 + i));
  const peer = '15553999999';
  await inBatches([...phones, peer], 8, async (phone) => void (await emulatorApi(emu.url, 'POST', '/admin/accounts', { phone })));
  const deviceIds: string[] = [];
  for (let i = 0; i < DEVICES; i++) deviceIds.push((await ok(base, 'POST', '/devices', token, { name: `bench ${i}` })).device.id);
  // linked one by one through the first node: each connect goes to the node holding the fewest
  const caller: Caller = { call: (method, url, tok, body) => http(base, method, url, tok, body) };
  for (let i = 0; i < DEVICES; i++) await linkOne(caller, emu.url, { token, deviceId: deviceIds[i]!, phone: phones[i]! });
  return { token, deviceIds, peer };
}

// ---------------------------------------------------------------------------------------------
// 1. Takeover after SIGKILL

interface TakeoverRun {
  victim: string;
  held: number;
  /** kill -> the killed node shown not alive by GET /cluster */
  notAliveMs: number;
  /** kill -> first / last of its devices connected on another node */
  firstMs: number;
  lastMs: number;
  /** the killed node's last heartbeat -> last device connected elsewhere */
  lastFromHeartbeatMs: number;
  newHolders: string;
}

/** Kills the node holding the most devices (among equals, the `run`-th in turn, so that each node gets killed). */
async function takeoverRun(c: Cluster, db: pg.Client, f: Fleet, run: number): Promise<TakeoverRun> {
  const before = await clusterView(c);
  const live = before.nodes.filter((n) => n.alive && c.nodes.some((m) => m.id === n.id && running(m)));
  const most = Math.max(...live.map((n) => n.devices_held));
  const candidates = live.filter((n) => n.devices_held === most);
  const victim = c.nodes.find((n) => n.id === candidates[run % candidates.length]!.id)!;
  const held = [...(await holders(db))].filter(([, node]) => node === victim.id).map(([id]) => id);
  // the heartbeat just before the kill (a fresh read: the one above may be a poll old)
  const lastBeat = Date.parse(
    (
      await clusterView(
        c,
        c.nodes.find((n) => n !== victim && running(n)),
      )
    ).nodes.find((n) => n.id === victim.id)!.heartbeat_at,
  );
  const killedAt = Date.now();
  victim.server!.child.kill('SIGKILL');
  const survivor = c.nodes.find((n) => n !== victim && running(n))!;

  const doneAt = new Map<string, number>();
  let notAliveAt = NaN;
  const bound = c.timing.leaseMs + c.timing.heartbeatMs + 60_000;
  await until(
    `the ${held.length} devices of ${victim.id} connected elsewhere`,
    bound,
    async () => {
      const [view, leases] = await Promise.all([clusterView(c, survivor), holders(db)]);
      const now = Date.now();
      if (Number.isNaN(notAliveAt) && view.nodes.find((n) => n.id === victim.id)?.alive === false) notAliveAt = now;
      for (const id of held.filter((d) => !doneAt.has(d))) {
        const holder = leases.get(id);
        if (!holder || holder === victim.id) continue;
        const d = await deviceView(c, survivor, f, id);
        // connected_at is in whole seconds: a connection made after the kill is at or after its second
        if (d.status === 'connected' && d.connected_at && Date.parse(d.connected_at) >= Math.floor(killedAt / 1000) * 1000) doneAt.set(id, now);
      }
      return doneAt.size === held.length ? true : undefined;
    },
    POLL_MS,
  );
  const leases = await holders(db);
  const times = [...doneAt.values()];
  const last = Math.max(...times);
  return {
    victim: victim.id,
    held: held.length,
    notAliveMs: notAliveAt - killedAt,
    firstMs: Math.min(...times) - killedAt,
    lastMs: last - killedAt,
    lastFromHeartbeatMs: last - lastBeat,
    newHolders: held.map((id) => leases.get(id) ?? '?').join(','),
  };
}

async function takeoverRow(c: Cluster, db: pg.Client, f: Fleet): Promise<TakeoverRun[]> {
  const runs: TakeoverRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await takeoverRun(c, db, f, i);
    runs.push(run);
    const victim = c.nodes.find((n) => n.id === run.victim)!;
    console.log(
      `  run ${String(i + 1).padStart(2)}: killed ${run.victim} holding ${run.held}; not alive in /cluster after ${fmt(run.notAliveMs / 1000, 1)} s; ` +
        `first ${fmt(run.firstMs / 1000, 2)} s, last ${fmt(run.lastMs / 1000, 2)} s after the kill, ${fmt(run.lastFromHeartbeatMs / 1000, 2)} s after its last heartbeat (now on ${run.newHolders})`,
    );
    await startNode(c, victim);
    await waitSpread(c, db, f, 120_000);
  }
  return runs;
}

function takeoverSummary(label: string, runs: TakeoverRun[]): string[] {
  const s = (pick: (r: TakeoverRun) => number, p: number) =>
    fmt(
      percentile(
        runs.map(pick).sort((a, b) => a - b),
        p,
      ) / 1000,
      2,
    );
  return [
    label,
    String(runs.length),
    s((r) => r.lastMs, 50),
    s((r) => r.lastMs, 95),
    s((r) => r.lastFromHeartbeatMs, 50),
    s((r) => r.lastFromHeartbeatMs, 95),
    s((r) => r.firstMs, 50),
  ];
}

/** Stops every node (SIGTERM) and starts the three again with `timing`; waits for the spread. */
async function restartAll(c: Cluster, db: pg.Client, f: Fleet, timing: Timing): Promise<void> {
  for (const n of c.nodes) await stopNode(n, 'SIGTERM');
  c.timing = timing;
  for (const n of c.nodes) await startNode(c, n);
  await waitSpread(c, db, f, 120_000);
}

// ---------------------------------------------------------------------------------------------
// 2. Send latency under a steady load

interface Sent {
  id: string;
  /** POST sent, 202 received (Date.now()) */
  postedAt: number;
  acceptedAt: number;
  /** the request went to the node holding the device */
  toHolder: boolean;
}

interface LoadFigures {
  label: string;
  accepted: number;
  refused: number;
  toHolder: number;
  /** server: queued at -> sent at (status rows, ms) */
  server: number[];
  /** the same, of the requests sent to the node holding the device, and to another node */
  serverToHolder: number[];
  serverElsewhere: number[];
  /** client: 202 received -> message.sent webhook received */
  client: number[];
  /** POST -> 202 */
  accept: number[];
  /** messages sent over the time from the first queued to the last sent */
  sentPerSecond: number;
  /** WUTS connections waiting on a lock, mean per pg_stat_activity sample */
  lockWaits?: number;
  unsent: number;
}

/** RATE texts a second for SECONDS, open loop: message i to device i mod N, through node floor(i / N) mod (nodes). */
async function steadyLoad(c: Cluster, db: pg.Client, f: Fleet, nodes: Node[], receiver: WebhookReceiver, label: string): Promise<LoadFigures> {
  const held = await holders(db);
  const total = RATE * SECONDS;
  const sent: Sent[] = [];
  let refused = 0;
  const t0 = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / RATE - Date.now();
    if (wait > 0) await sleep(wait);
    const deviceId = f.deviceIds[i % f.deviceIds.length]!;
    const node = nodes[Math.floor(i / f.deviceIds.length) % nodes.length]!;
    const postedAt = Date.now();
    inFlight.push(
      http(urlOf(node), 'POST', `/devices/${deviceId}/messages`, f.token, { type: 'text', to: f.peer, text: `${label} ${i}` }).then(
        (res) => {
          if (res.statusCode === 202) sent.push({ id: res.json().message.id, postedAt, acceptedAt: Date.now(), toHolder: held.get(deviceId) === node.id });
          else refused++;
        },
        () => void refused++,
      ),
    );
  }
  await Promise.all(inFlight);
  const ids = new Set(sent.map((s) => s.id));
  const webhookAt = new Map<string, number>();
  const collect = () => {
    for (const r of receiver.requests) {
      const id = (r.payload?.data as { message?: { id: string } } | undefined)?.message?.id;
      if (r.payload?.type === 'message.sent' && id && ids.has(id) && !webhookAt.has(id)) webhookAt.set(id, r.receivedAt);
    }
    return webhookAt.size;
  };
  await until('every message.sent webhook', 60_000, async () => (collect() >= ids.size ? true : undefined), 200).catch(() => undefined);
  collect();
  const { server, spanMs } = await queuedToSent(db, sent);
  const client = sent.filter((s) => webhookAt.has(s.id)).map((s) => webhookAt.get(s.id)! - s.acceptedAt);
  const byHolder = (toHolder: boolean) => sent.filter((s) => s.toHolder === toHolder && server.has(s.id)).map((s) => server.get(s.id)!);
  return {
    label,
    accepted: sent.length,
    refused,
    toHolder: sent.filter((s) => s.toHolder).length,
    server: [...server.values()],
    serverToHolder: byHolder(true),
    serverElsewhere: byHolder(false),
    client,
    accept: sent.map((s) => s.acceptedAt - s.postedAt),
    sentPerSecond: (server.size / spanMs) * 1000,
    unsent: sent.length - server.size,
  };
}

/**
 * Queued -> sent per message, from the status rows in the database: the API shows the status
 * history in whole seconds, the rows keep milliseconds (each written by the node that made it).
 */
async function queuedToSent(db: pg.Client, sent: Sent[]): Promise<{ server: Map<string, number>; spanMs: number }> {
  const { rows } = await db.query<{ message_id: string; status: string; created_at: string | Date }>(
    `select message_id, status, created_at from message_statuses where message_id = any($1::uuid[]) and status in ('queued', 'sent')`,
    [sent.map((s) => s.id)],
  );
  const at = new Map<string, { queued?: number; sent?: number }>();
  for (const r of rows) {
    const m = at.get(r.message_id) ?? {};
    m[r.status as 'queued' | 'sent'] = new Date(r.created_at).getTime();
    at.set(r.message_id, m);
  }
  const server = new Map<string, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const [id, m] of at) {
    if (m.queued === undefined || m.sent === undefined) continue;
    server.set(id, m.sent - m.queued);
    first = Math.min(first, m.queued);
    last = Math.max(last, m.sent);
  }
  return { server, spanMs: last - first };
}

function latencyRow(l: LoadFigures): string[] {
  const p = (v: number[], q: number) =>
    fmt(
      percentile(
        [...v].sort((a, b) => a - b),
        q,
      ),
    );
  return [
    l.label,
    `${l.accepted}${l.refused ? ` (+${l.refused} refused)` : ''}`,
    `${l.toHolder}/${l.accepted}`,
    p(l.accept, 50),
    p(l.accept, 99),
    fmt(l.sentPerSecond, 1),
    p(l.server, 50),
    p(l.server, 95),
    p(l.server, 99),
    p(l.client, 50),
    p(l.client, 95),
    p(l.client, 99),
    String(l.unsent),
    fmt(l.lockWaits ?? NaN, 2),
  ];
}

function ratioRow(single: LoadFigures, cluster: LoadFigures): string[] {
  const r = (a: number[], b: number[], q: number) => {
    const x = percentile(
      [...a].sort((m, n) => m - n),
      q,
    );
    const y = percentile(
      [...b].sort((m, n) => m - n),
      q,
    );
    return fmt(x / y, 2);
  };
  return [
    'ratio cluster / single',
    '',
    '',
    r(cluster.accept, single.accept, 50),
    r(cluster.accept, single.accept, 99),
    fmt(cluster.sentPerSecond / single.sentPerSecond, 2),
    r(cluster.server, single.server, 50),
    r(cluster.server, single.server, 95),
    r(cluster.server, single.server, 99),
    r(cluster.client, single.client, 50),
    r(cluster.client, single.client, 95),
    r(cluster.client, single.client, 99),
    '',
    '',
  ];
}

/** One unmeasured message per device, so that every Signal session with the peer exists. */
async function warmUp(c: Cluster, f: Fleet): Promise<void> {
  const base = urlOf(anyRunning(c));
  const ids = await Promise.all(
    f.deviceIds.map(
      async (d) => (await ok(base, 'POST', `/devices/${d}/messages`, f.token, { type: 'text', to: f.peer, text: 'warm-up' })).message.id as string,
    ),
  );
  for (const id of ids)
    await until(
      'the warm-up message sent',
      30_000,
      async () => ((await ok(base, 'GET', `/messages/${id}`, f.token)).message.status !== 'queued' ? true : undefined),
      200,
    );
}

async function sendLatency(c: Cluster, db: pg.Client, f: Fleet, receiver: WebhookReceiver): Promise<void> {
  await warmUp(c, f);
  const [a, b, cc] = c.nodes as [Node, Node, Node];
  console.log(
    `\nSend latency: ${RATE} texts/s for ${SECONDS} s (${RATE * SECONDS} messages) to one peer, the ${f.deviceIds.length} devices in turn; ${ROUNDS} rounds`,
  );
  const rows: string[][] = [];
  const byLanding: LoadFigures[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // (a) one node alone: the two others drain to it (SIGTERM)
    await stopNode(b, 'SIGTERM');
    await stopNode(cc, 'SIGTERM');
    await waitSpread(c, db, f, 120_000);
    const single = await withWaits(db, () => steadyLoad(c, db, f, [a], receiver, `${round}: single node (${a.id})`));
    // (b) the three, requests round-robin over them
    await startNode(c, b);
    await startNode(c, cc);
    await waitSpread(c, db, f, 120_000);
    const cluster = await withWaits(db, () => steadyLoad(c, db, f, [a, b, cc], receiver, `${round}: 3 nodes, round-robin`));
    rows.push(latencyRow(single), latencyRow(cluster), ratioRow(single, cluster));
    byLanding.push(single, cluster);
  }
  const head = [
    'round',
    'accepted',
    'to the holder',
    'accept p50',
    'p99',
    'sent/s',
    'server p50',
    'p95',
    'p99',
    'client p50',
    'p95',
    'p99',
    'not sent',
    'lock waits',
  ];
  console.log(table([head, ...rows], 1));
  console.log(
    'ms; accept: POST -> 202; sent/s: sent over first queued -> last sent; server: queued -> sent (status rows); client: 202 received -> ' +
      'message.sent webhook received (127.0.0.1); lock waits: WUTS connections waiting on a row lock, per pg_stat_activity sample (every 100 ms)',
  );
  const p = (v: number[], q: number) =>
    fmt(
      percentile(
        [...v].sort((x, y) => x - y),
        q,
      ),
    );
  const landing = (l: LoadFigures, where: string, v: number[]) => [`${l.label}, ${where}`, String(v.length), p(v, 50), p(v, 95), p(v, 99)];
  console.log(
    table(
      [
        ['server queued -> sent, by where the request landed', 'messages', 'p50', 'p95', 'p99'],
        ...byLanding.flatMap((l) => [
          landing(l, 'on the holder', l.serverToHolder),
          ...(l.serverElsewhere.length ? [landing(l, 'on another node', l.serverElsewhere)] : []),
        ]),
      ],
      1,
    ),
  );
}

/** Runs `load` while sampling pg_stat_activity every 100 ms: the mean number of WUTS connections waiting on a lock. */
async function withWaits(db: pg.Client, load: () => Promise<LoadFigures>): Promise<LoadFigures> {
  let stop = false;
  const samples: number[] = [];
  const sampler = (async () => {
    while (!stop) {
      const { rows } = await db.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity where datname = current_database() and application_name like 'wuts:%' and wait_event_type = 'Lock'`,
      );
      samples.push(Number(rows[0]!.n));
      await sleep(100);
    }
  })();
  try {
    const figures = await load();
    return { ...figures, lockWaits: samples.reduce((x, y) => x + y, 0) / Math.max(1, samples.length) };
  } finally {
    stop = true;
    await sampler;
  }
}

/** What an operator would look at when something hangs: GET /cluster of a running node, the leases, the processes. */
async function diagnostics(c: Cluster, db: pg.Client): Promise<string> {
  const { rows } = await db.query(
    'select device_id, node_id, epoch, expires_ms, (extract(epoch from clock_timestamp()) * 1000)::bigint as now_ms from device_leases order by device_id',
  );
  const view = c.nodes.some(running) ? JSON.stringify(await clusterView(c), null, 1) : 'no node running';
  return `processes: ${c.nodes.map((n) => `${n.id} ${running(n) ? 'running' : 'stopped'}`).join(', ')}\nGET /cluster: ${view}\ndevice_leases: ${JSON.stringify(rows)}`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(
    `WUTS cluster benchmark: 3 nodes on one PostgreSQL database, ${DEVICES} devices on the emulator; node ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const emu = await spawnEmulator();
  const database = await createPgDatabase(PG_URL);
  const receiver = await startReceiver();
  const db = new pg.Client({ connectionString: database.url });
  const c: Cluster = {
    env: {
      DATABASE_URL: database.url,
      WUTS_MASTER_TOKEN: 'bench_master_' + randomBytes(24).toString('hex'),
      WUTS_SECRET_KEY: randomBytes(32).toString('hex'),
      WUTS_WA_WS_URL: emu.wsUrl,
      WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
      WUTS_SEND_INTERVAL_MS: '0',
      WUTS_SEND_JITTER_PERCENT: '0',
      WUTS_MAX_DEVICES_PER_TENANT: '100',
      LOG_LEVEL: 'warn',
    },
    timing: DEFAULT_TIMING,
    nodes: NODE_IDS.map((id) => ({ id, server: undefined, logs: [] })),
    master: '',
    logDir: fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-bench-cluster-logs-')),
  };
  c.master = c.env.WUTS_MASTER_TOKEN!;
  const killAll = () => c.nodes.forEach((n) => n.server?.child.kill('SIGKILL'));
  process.on('exit', killAll);
  try {
    await db.connect();
    for (const n of c.nodes) await startNode(c, n); // one after the other: the first migrates
    const t = Date.now();
    const f = await makeFleet(c, emu, receiver);
    await waitSpread(c, db, f, 120_000);
    console.log(
      `${DEVICES} devices linked and spread in ${fmt((Date.now() - t) / 1000, 1)} s: ${JSON.stringify((await clusterView(c)).nodes.map((n) => [n.id, n.devices_held]))}`,
    );

    if (ONLY !== 'takeover') await sendLatency(c, db, f, receiver);

    if (ONLY !== 'send') {
      const rows: string[][] = [];
      for (const timing of [DEFAULT_TIMING, FAST_TIMING]) {
        await restartAll(c, db, f, timing);
        console.log(`\nTakeover after SIGKILL, heartbeat ${timing.heartbeatMs} ms, lease ${timing.leaseMs} ms:`);
        rows.push(takeoverSummary(`heartbeat ${timing.heartbeatMs} / lease ${timing.leaseMs}`, await takeoverRow(c, db, f)));
      }
      console.log("\nTakeover (seconds): kill -> last device connected on another node, and from the killed node's last heartbeat");
      console.log(table([['settings (ms)', 'runs', 'kill->last p50', 'p95', 'heartbeat->last p50', 'p95', 'kill->first p50'], ...rows], 1));
    }
  } catch (err) {
    console.error(`\nStopped: ${(err as Error).message}\nThe cluster at that moment:\n${await diagnostics(c, db).catch((e: unknown) => String(e))}`);
    throw err;
  } finally {
    console.log(`\nNode logs (LOG_LEVEL=warn) in ${c.logDir}:`);
    for (const n of c.nodes) await stopNode(n, 'SIGTERM').catch(() => undefined);
    console.log(writeLogs(c));
    await db.end().catch(() => undefined);
    await receiver.close();
    await emu.close();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
