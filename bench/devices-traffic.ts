// Device density under traffic (bench/devices.ts --traffic N[,N2...]): one WUTS process holds N
// connected devices, each sending a text every 10 s through the HTTP API, for a measured window.
// Per N: WUTS's RSS, CPU (% of one core), event-loop delay p99, accept -> sent p50/p99 (status
// history), how many were sent and delivered; beside them the emulator child process's CPU and
// RSS, to tell which side is the limit. The emulator's sender accounts have no phone client
// (start_phone: false); the peers receiving the texts have one (a Baileys client each, which
// decrypts and sends the delivery receipts), one peer per PEER_SENDERS devices.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { post, summarise, type Profile } from './cpu-profile.js';
import {
  countConnected,
  fmt,
  linkOne,
  median,
  quantile,
  rssOfPid,
  runWorkerProcess,
  startWuts,
  stopWuts,
  type LinkTiming,
  type Slot,
  type Wuts,
} from './devices-wuts.js';
import { emulatorApi, spawnEmulator, withTimeout } from './emulator-child.js';

const MB = 1024 * 1024;
const TENANT_DEVICES = 10; // the default WUTS_MAX_DEVICES_PER_TENANT
/** senders per peer account: 100 devices at one text per 10 s = 10 texts/s into one peer phone */
const PEER_SENDERS = 100;
const CLOCK_TICKS = 100; // USER_HZ of /proc/PID/stat on Linux
const GOAL_P99_MS = 1000;

export interface TrafficOptions {
  /** devices linked at once */
  parallel: number;
  /** seconds between two texts of one device */
  intervalS: number;
  /** seconds of traffic before the window (the first text of each device sets up its Signal session) */
  warmupS: number;
  /** measured seconds */
  windowS: number;
  /** a CPU profile of WUTS during the window */
  profile: boolean;
}

interface CpuWindow {
  /** WUTS's process: % of one core */
  wutsCpu: number;
  emulatorCpu: number | null;
  wutsRssMb: number;
  wutsRssMaxMb: number;
  wutsHeapMb: number;
  emulatorRssMb: number | null;
  emulatorRssMaxMb: number | null;
  /** event-loop delay of WUTS's process (ms) */
  eldP50: number;
  eldP99: number;
  eldMax: number;
  /** `select 1` through WUTS's database handle every 100 ms: the wait for the connection (ms) */
  dbProbeP99: number;
  dbProbeMax: number;
  load: number[];
}

export interface TrafficResult {
  devices: number;
  tenants: number;
  peers: number;
  linked: number;
  linkWallMs: number;
  linkP50Ms: number;
  linkP99Ms: number;
  connectedBeforeTraffic: number;
  connectedAfterTraffic: number;
  /** all connected, no traffic, 15 s */
  idle: CpuWindow;
  /** the measured window of traffic */
  busy: CpuWindow;
  /** texts posted in the window, accepted (202), sent and delivered by the end of the drain */
  posted: number;
  accepted: number;
  refused: string[];
  sent: number;
  delivered: number;
  acceptToSent: { p50: number; p99: number; max: number };
  /** texts of the window slower than 1 s to `sent`, by the second of the window they were accepted in (5 s bins) */
  slowBySecond: Record<string, number>;
  /** accept -> sent p90 and p95 */
  acceptToSentP90: number;
  acceptToSentP95: number;
  acceptToDelivered: { p50: number; p99: number; max: number };
  /** POST /devices/{id}/messages through app.inject */
  postP99Ms: number;
  profile?: { busyMs: number; wallMs: number; categories: { name: string; ms: number }[]; functions: { name: string; ms: number }[] };
  notes: string[];
}

/** utime + stime of a process, in seconds (Linux /proc); null elsewhere. */
function cpuSecondsOfPid(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" that ends the command name: state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Runs `run` over `items` with at most `size` at once (a slow one does not hold the others back). */
async function inPool<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** CPU, memory and event-loop delay of WUTS's process and the emulator's over the next `seconds`. */
async function measureWindow(w: Wuts, emulatorPid: number, seconds: number): Promise<CpuWindow> {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  // SQLite has one connection (Kysely queues the queries): a probe shows how long a query waits for it
  const probes: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t = performance.now();
      await sql`select 1`.execute(w.deps.db.kysely);
      probes.push(performance.now() - t);
      await sleep(100);
    }
  })();
  const cpu0 = process.cpuUsage();
  const emu0 = cpuSecondsOfPid(emulatorPid);
  const t0 = performance.now();
  let wutsRssMax = 0;
  let emuRssMax = 0;
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, Math.max(0, end - performance.now())));
    wutsRssMax = Math.max(wutsRssMax, process.memoryUsage.rss());
    emuRssMax = Math.max(emuRssMax, rssOfPid(emulatorPid) ?? 0);
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const emu1 = cpuSecondsOfPid(emulatorPid);
  eld.disable();
  probing = false;
  await probe;
  const mem = process.memoryUsage();
  return {
    wutsCpu: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
    emulatorCpu: emu0 !== null && emu1 !== null ? ((emu1 - emu0) / wallS) * 100 : null,
    wutsRssMb: mem.rss / MB,
    wutsRssMaxMb: wutsRssMax / MB,
    wutsHeapMb: mem.heapUsed / MB,
    emulatorRssMb: rssOfPid(emulatorPid),
    emulatorRssMaxMb: emuRssMax || null,
    eldP50: eld.percentile(50) / 1e6,
    eldP99: eld.percentile(99) / 1e6,
    eldMax: eld.max / 1e6,
    dbProbeP99: quantile(probes, 0.99),
    dbProbeMax: probes.length ? Math.max(...probes) : NaN,
    load: os.loadavg(),
  };
}

interface Posted {
  id: string | null;
  phase: 'warmup' | 'window' | 'after';
  ms: number;
  error?: string;
}

/**
 * Every device sends a text every `intervalS` seconds, device i at offset i/N of the interval, so
 * the load is steady; `phaseOf` names the phase a post falls in. Returns a stop function.
 */
function startTraffic(w: Wuts, slots: Slot[], peers: string[], intervalS: number, phaseOf: () => Posted['phase'], out: Posted[]): () => Promise<void> {
  const intervalMs = intervalS * 1000;
  const t0 = performance.now() + 100;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  slots.forEach((slot, i) => {
    const peer = peers[Math.floor(i / PEER_SENDERS)]!;
    let k = 0;
    const fire = () => {
      if (stopped) return;
      const phase = phaseOf();
      const started = performance.now();
      const p = w
        .call('POST', `/devices/${slot.deviceId}/messages`, slot.token, { type: 'text', to: peer, text: `density ${i}.${k}` })
        .then((res) => {
          const ms = performance.now() - started;
          if (res.statusCode === 202) out.push({ id: (res.json() as { message: { id: string } }).message.id, phase, ms });
          else out.push({ id: null, phase, ms, error: `${res.statusCode} ${res.body.slice(0, 200)}` });
        })
        .catch((err: unknown) => void out.push({ id: null, phase, ms: performance.now() - started, error: String(err) }))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      k++;
      timers[i] = setTimeout(fire, Math.max(0, t0 + (i / slots.length) * intervalMs + k * intervalMs - performance.now()));
    };
    timers[i] = setTimeout(fire, Math.max(0, t0 + (i / slots.length) * intervalMs - performance.now()));
  });
  return async () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    await Promise.all([...inFlight]);
  };
}

/** Per message: its status rows' times (ms since the epoch). */
async function statusTimes(w: Wuts, ids: string[]): Promise<Map<string, Record<string, number>>> {
  const by = new Map<string, Record<string, number>>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await w.deps.db.kysely
      .selectFrom('message_statuses')
      .select(['message_id', 'status', 'created_at'])
      .where('message_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      const m = by.get(r.message_id) ?? {};
      m[r.status] = Date.parse(r.created_at);
      by.set(r.message_id, m);
    }
  }
  return by;
}

const spreadOf = (values: number[]) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: values.length ? Math.max(...values) : NaN });

export async function runTrafficWorker(n: number, o: TrafficOptions): Promise<TrafficResult> {
  const notes: string[] = [];
  const emu = await spawnEmulator();
  const database = await createTestDatabase();
  const masterToken = 'bench_master_' + randomBytes(24).toString('hex');
  const config: Config = { ...loadConfig({}), dataDir: database.dataDir, databaseUrl: database.databaseUrl, logLevel: 'silent', waWsUrl: emu.wsUrl };
  let w: Wuts | undefined;
  try {
    w = await startWuts({ config, db: database.db, masterToken, secrets: database.secrets });
    const wuts = w;
    const tenants = Math.ceil(n / TENANT_DEVICES);
    const tokens: string[] = [];
    for (let i = 0; i < tenants; i++) {
      const res = await wuts.call('POST', '/register', masterToken, {
        tenant_name: `Density ${i}`,
        email: `density${i}@example.test`,
        password: 'password-123',
      });
      if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
      tokens.push((res.json() as { token: string }).token);
    }
    const slots: Slot[] = [];
    for (let i = 0; i < n; i++) {
      const token = tokens[Math.floor(i / TENANT_DEVICES)]!;
      const res = await wuts.call('POST', '/devices', token, { name: `density ${i}` });
      if (res.statusCode !== 201) throw new Error(`create device: ${res.statusCode} ${res.body}`);
      slots.push({ token, deviceId: (res.json() as { device: { id: string } }).device.id, phone: String(15552000000 + i) });
    }
    const peers = Array.from({ length: Math.ceil(n / PEER_SENDERS) }, (_, i) => String(15553000000 + i));
    await inPool(peers, 4, async (phone) => void (await emulatorApi(emu.url, 'POST', '/admin/accounts', { phone, name: `Peer ${phone}` })));
    await inPool(slots, 8, async (slot) => void (await emulatorApi(emu.url, 'POST', '/admin/accounts', { phone: slot.phone, start_phone: false })));
    console.error(`  [${n}] ${tenants} tenants, ${n} devices, ${n} sender accounts (no phone client), ${peers.length} peers; linking ${o.parallel} at a time`);

    const timings: LinkTiming[] = [];
    const linkedSlots: Slot[] = [];
    const failures: string[] = [];
    const linkStart = performance.now();
    await inPool(slots, o.parallel, async (slot) => {
      try {
        timings.push(await linkOne(wuts, emu.url, slot));
        linkedSlots.push(slot);
        if (timings.length % 100 === 0) console.error(`  [${n}] ${timings.length} linked after ${((performance.now() - linkStart) / 1000).toFixed(0)} s`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    });
    const linkWallMs = performance.now() - linkStart;
    if (failures.length) notes.push(`${failures.length} link(s) failed, first: ${failures[0]}`);
    const connectedBeforeTraffic = await countConnected(wuts, tokens);
    console.error(`  [${n}] ${connectedBeforeTraffic}/${n} connected after ${(linkWallMs / 1000).toFixed(0)} s; idle window`);

    await sleep(5_000);
    const idle = await measureWindow(wuts, emu.pid, 15);

    const posts: Posted[] = [];
    let phase: Posted['phase'] = 'warmup';
    const stop = startTraffic(wuts, linkedSlots, peers, o.intervalS, () => phase, posts);
    await sleep(o.warmupS * 1000);
    phase = 'window';
    console.error(`  [${n}] traffic: warm-up done (${posts.length} posted); measuring ${o.windowS} s`);
    let session: Session | undefined;
    if (o.profile) {
      session = new Session();
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
      await post(session, 'Profiler.start');
    }
    const windowStartedAt = Date.now();
    const busy = await measureWindow(wuts, emu.pid, o.windowS);
    phase = 'after';
    let profile: TrafficResult['profile'];
    if (session) {
      const { profile: p } = await post<{ profile: Profile }>(session, 'Profiler.stop');
      session.disconnect();
      // the whole profile too, for Chrome DevTools or a look at the callers
      const file = path.join(os.tmpdir(), `wuts-density-${n}-${Date.now()}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(p));
      notes.push(`CPU profile written to ${file}`);
      profile = summarise(p, 16);
    }
    await stop();

    const windowPosts = posts.filter((p) => p.phase === 'window');
    const ids = windowPosts.flatMap((p) => (p.id ? [p.id] : []));
    // drain: every text of the window sent and delivered, or 45 s
    const deadline = performance.now() + 45_000;
    let times = await statusTimes(wuts, ids);
    const count = (status: string) => [...times.values()].filter((m) => m[status] !== undefined).length;
    while ((count('sent') < ids.length || count('delivered') < ids.length) && performance.now() < deadline) {
      await sleep(1000);
      times = await statusTimes(wuts, ids);
    }
    const toSent: number[] = [];
    const toDelivered: number[] = [];
    const slowBySecond: Record<string, number> = {};
    for (const m of times.values()) {
      if (m.queued === undefined) continue;
      if (m.sent !== undefined) toSent.push(m.sent - m.queued);
      if (m.sent !== undefined && m.sent - m.queued > GOAL_P99_MS) {
        const bin = String(Math.floor((m.queued - windowStartedAt) / 5000) * 5);
        slowBySecond[bin] = (slowBySecond[bin] ?? 0) + 1;
      }
      if (m.delivered !== undefined) toDelivered.push(m.delivered - m.queued);
    }
    if (toSent.length < ids.length) notes.push(`${ids.length - toSent.length} accepted text(s) of the window not sent 45 s after it`);
    const refused = windowPosts.filter((p) => p.error).map((p) => p.error!);
    return {
      devices: n,
      tenants,
      peers: peers.length,
      linked: timings.length,
      linkWallMs,
      linkP50Ms: median(timings.map((t) => t.totalMs)),
      linkP99Ms: quantile(
        timings.map((t) => t.totalMs),
        0.99,
      ),
      connectedBeforeTraffic,
      connectedAfterTraffic: await countConnected(wuts, tokens),
      idle,
      busy,
      posted: windowPosts.length,
      accepted: ids.length,
      refused: [...new Set(refused)].slice(0, 3),
      sent: toSent.length,
      delivered: toDelivered.length,
      acceptToSent: spreadOf(toSent),
      acceptToSentP90: quantile(toSent, 0.9),
      acceptToSentP95: quantile(toSent, 0.95),
      slowBySecond,
      acceptToDelivered: spreadOf(toDelivered),
      postP99Ms: quantile(
        windowPosts.map((p) => p.ms),
        0.99,
      ),
      ...(profile ? { profile } : {}),
      notes,
    };
  } finally {
    if (w) await stopWuts(w).catch((err: unknown) => console.error('stopping WUTS failed', err));
    await database.drop().catch((err: unknown) => console.error('dropping the database failed', err));
    await emu.close();
  }
}

/**
 * The worker's bound: setting up (0.1 s per device), linking (1 s per device: on 2 cores it is
 * CPU-bound, about 0.6 s per device whatever the parallelism), the windows, the drain.
 */
export function trafficTimeoutMs(n: number, o: TrafficOptions): number {
  return 180_000 + n * 1_100 + (o.warmupS + o.windowS + 20 + 45) * 1000;
}

function runTrafficChild(file: string, n: number, o: TrafficOptions): Promise<TrafficResult> {
  const timeoutMs = trafficTimeoutMs(n, o) + 30_000;
  const args = [
    file,
    '--traffic-worker',
    String(n),
    '--parallel',
    String(o.parallel),
    '--interval',
    String(o.intervalS),
    '--warmup',
    String(o.warmupS),
    '--window',
    String(o.windowS),
    ...(o.profile ? ['--profile'] : []),
  ];
  return runWorkerProcess<TrafficResult>(args, `worker for ${n} devices`, timeoutMs);
}

/** The worker side: one size, its result as a RESULT line on stdout. */
export async function trafficWorkerMain(n: number, o: TrafficOptions): Promise<void> {
  const result = await withTimeout(runTrafficWorker(n, o), trafficTimeoutMs(n, o), `traffic worker with ${n} devices`);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** The parent side: the sizes in increasing order, each in a fresh worker; stops after a failed run or one whose p99 passed 1 s. */
export async function trafficMain(file: string, sizes: number[], o: TrafficOptions): Promise<void> {
  console.log(
    `device density under traffic: sizes ${sizes.join(', ')}; each device sends a text every ${o.intervalS} s (spread over the interval) through app.inject; ` +
      `${o.warmupS} s warm-up, ${o.windowS} s measured; ${o.parallel} linked at a time`,
  );
  console.log(
    `node ${process.version}, SQLite, real Baileys against the emulator in a child process; ${os.cpus().length} CPUs; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const results: TrafficResult[] = [];
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const started = Date.now();
    let r: TrafficResult;
    try {
      r = await runTrafficChild(file, n, o);
    } catch (err) {
      console.log(`  ${n} devices: FAILED: ${(err as Error).message}; not going further`);
      break;
    }
    results.push(r);
    console.log(
      `  ${n} devices (${((Date.now() - started) / 1000).toFixed(0)} s): accept->sent p99 ${fmt(r.acceptToSent.p99, 0)} ms, WUTS CPU ${fmt(r.busy.wutsCpu, 0)}%, emulator CPU ${fmt(r.busy.emulatorCpu ?? NaN, 0)}%`,
    );
    if (r.profile) printProfile(r);
    if (!(r.acceptToSent.p99 < GOAL_P99_MS) || r.sent < r.accepted || r.connectedBeforeTraffic < n) {
      console.log(`  stopping: ${n} devices missed the goal (p99 accept->sent < ${GOAL_P99_MS} ms, all sent, all connected)`);
      break;
    }
  }
  if (results.length) trafficReport(results, o);
}

function printProfile(r: TrafficResult): void {
  const p = r.profile!;
  console.log(`  CPU profile of WUTS during the window (${r.devices} devices): busy ${fmt(p.busyMs / 1000, 1)} s of ${fmt(p.wallMs / 1000, 1)} s`);
  console.log(`    by place: ${p.categories.map((c) => `${c.name} ${fmt((c.ms / p.busyMs) * 100, 0)}%`).join(', ')}`);
  for (const f of p.functions) console.log(`    ${fmt((f.ms / p.busyMs) * 100, 1).padStart(5)}%  ${f.name}`);
}

function trafficReport(results: TrafficResult[], o: TrafficOptions): void {
  const rows: string[][] = [
    [
      'devices',
      'connected',
      'texts/s',
      'sent / accepted',
      'delivered',
      'accept→sent p50 / p99 / max (ms)',
      `p99 < ${GOAL_P99_MS} ms`,
      'accept→delivered p50 / p99 (ms)',
      'POST p99 (ms)',
      'WUTS CPU idle / busy (%)',
      'WUTS ELD p99 (ms)',
      'DB probe p99 / max (ms)',
      'WUTS RSS (MB)',
      'emulator CPU idle / busy (%)',
      'emulator RSS (MB)',
      'load (1 min)',
    ],
  ];
  for (const r of results) {
    rows.push([
      String(r.devices),
      `${r.connectedBeforeTraffic} → ${r.connectedAfterTraffic}`,
      fmt(r.posted / o.windowS, 1),
      `${r.sent}/${r.accepted}${r.posted > r.accepted ? ` (${r.posted - r.accepted} refused)` : ''}`,
      String(r.delivered),
      `${fmt(r.acceptToSent.p50, 0)} / ${fmt(r.acceptToSent.p99, 0)} / ${fmt(r.acceptToSent.max, 0)}`,
      r.acceptToSent.p99 < GOAL_P99_MS ? 'met' : 'NOT met',
      `${fmt(r.acceptToDelivered.p50, 0)} / ${fmt(r.acceptToDelivered.p99, 0)}`,
      fmt(r.postP99Ms, 0),
      `${fmt(r.idle.wutsCpu, 0)} / ${fmt(r.busy.wutsCpu, 0)}`,
      fmt(r.busy.eldP99, 0),
      `${fmt(r.busy.dbProbeP99, 1)} / ${fmt(r.busy.dbProbeMax, 1)}`,
      `${fmt(r.busy.wutsRssMb, 0)} (max ${fmt(r.busy.wutsRssMaxMb, 0)})`,
      `${fmt(r.idle.emulatorCpu ?? NaN, 0)} / ${fmt(r.busy.emulatorCpu ?? NaN, 0)}`,
      `${fmt(r.busy.emulatorRssMb ?? NaN, 0)} (max ${fmt(r.busy.emulatorRssMaxMb ?? NaN, 0)})`,
      r.busy.load.map((l) => l.toFixed(2))[0]!,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\nMeasured window: ${o.windowS} s after ${o.warmupS} s of traffic; CPU in % of one core; idle = 15 s connected, no traffic.\n`);
  console.log([line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n'));
  console.log('\nLinking (POST /connect -> connected, by QR, in parallel), per size:');
  for (const r of results) {
    console.log(
      `  ${String(r.devices).padStart(4)} devices: ${r.linked} linked in ${fmt(r.linkWallMs / 1000, 0)} s, each p50 ${fmt(r.linkP50Ms, 0)} ms / p99 ${fmt(r.linkP99Ms, 0)} ms; ${r.tenants} tenants, ${r.peers} peer account(s)`,
    );
    const slow = Object.entries(r.slowBySecond);
    console.log(
      `    accept->sent p90 ${fmt(r.acceptToSentP90, 0)} ms, p95 ${fmt(r.acceptToSentP95, 0)} ms; over ${GOAL_P99_MS} ms: ${slow.reduce((a, [, c]) => a + c, 0)}` +
        (slow.length ? `, by second of the window they were accepted in: ${slow.map(([at, c]) => `${at}s: ${c}`).join(', ')}` : ''),
    );
    for (const note of r.notes) console.log(`    note: ${note}`);
    if (r.refused.length) console.log(`    refused: ${r.refused.join(' | ')}`);
  }
}
