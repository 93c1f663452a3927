// Benchmark of connected WhatsApp devices: memory (RSS and heap) per idle connected device and
// the time from POST /devices/{id}/connect to `connected` in the API, for 1, 10 and 50 devices,
// through the real Baileys provider against the emulator. Then WUTS restarts in the same
// process on the same database and the devices reconnect from their stored sessions (no QR):
// memory per device again, and the time until all are connected.
//
// Build and run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/devices.js [sizes...]
//   options: --reps R (default 3, at most 5), --idle S (seconds idle before measuring,
//            default 5), --parallel K (devices linked at once, default 1)
//        node --expose-gc dist/bench/devices.js --heap N: one run of N devices with four heap
//            snapshots (none connected, N linked, all stopped, N reconnected), summarised per
//            device by constructor (the memory figures of that run are not reported:
//            writing a snapshot moves RSS)
//        node dist/bench/devices.js --traffic 100,250,500,1000: device density under traffic
//            (bench/devices-traffic.ts): N connected devices each sending a text every 10 s;
//            RSS, CPU, event-loop delay and accept -> sent p99 per N, the emulator's CPU beside
//            them. Options: --parallel K (linked at once, default 8), --interval S (10),
//            --warmup S (20), --window S (60), --profile (a CPU profile of WUTS in the window)
//
// Each (size, repetition) runs in a fresh worker process (this file with --worker N), which
// spawns its own emulator as a child process (`wuts emulator --port 0`): the emulator holds a
// Baileys client per account (the "phone"), and it must not count in WUTS's memory. The worker
// holds WUTS only: the app (buildApp), the device supervisor, SQLite, the Baileys sockets.
// One emulator account per device (an account takes 8 companions at most), ceil(N/10) tenants
// (WUTS_MAX_DEVICES_PER_TENANT's default). Bounded: sizes up to 200, each worker killed after
// 200 s + 15 s per device. Figures, never pass/fail: the 5 MB goal is printed beside them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import v8 from 'node:v8';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { heapDiffLines, summariseSnapshot } from './devices-heap.js';
import { trafficMain, trafficWorkerMain, type TrafficOptions } from './devices-traffic.js';
import {
  countConnected,
  fmt,
  inBatches,
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

const THIS_FILE = fileURLToPath(import.meta.url);
const GOAL_MB = 5;
const MB = 1024 * 1024;
const TENANT_DEVICES = 10; // the default WUTS_MAX_DEVICES_PER_TENANT: N devices over ceil(N/10) tenants
const gc = (globalThis as { gc?: () => void }).gc;

// ---------------------------------------------------------------------------------------------
// shared

interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface WorkerResult {
  devices: number;
  tenants: number;
  /** app built, tenants registered, devices created, 0 connected, Baileys not loaded yet */
  base: Memory;
  /** the same, with the Baileys provider module imported (a one-off cost of the first device) */
  lib: Memory;
  /** all connected, after `idleS` seconds idle, then settled (GC, at least 12 s) */
  idle: Memory;
  /** the same, 10 s later and settled again: the figure reported; the difference shows drift */
  idleLater: Memory;
  connectedAtEnd: number;
  timings: LinkTiming[];
  linkWallMs: number;
  emulatorRssMb: number | null;
  /** WUTS stopped (every socket closed) and started again in this process, 0 devices connected */
  stopped: Memory;
  /** all reconnected from their stored sessions, idle, settled */
  restarted: Memory;
  /** workers.start() -> all connected again; null if some did not within the bound */
  restartMs: number | null;
  connectedAfterRestart: number;
  /** with --heap: the snapshots at `lib`, `idleLater`, `stopped`, `restarted` */
  snapshots?: string[];
}

// ---------------------------------------------------------------------------------------------
// worker: one WUTS process with N devices

const snapshot = (): Memory => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
};

/**
 * Memory once the process is quiet: a full GC every second for at least 12 s (V8's memory
 * reducer shrinks the heap some 8 s after the allocations stop, by 30 MB of RSS here), then
 * until three samples in a row agree within 0.5 MB; 30 s at most.
 */
async function settledMemory(): Promise<Memory> {
  const started = Date.now();
  const samples: Memory[] = [];
  for (;;) {
    gc?.();
    await sleep(100);
    gc?.();
    samples.push(snapshot());
    const last = samples.slice(-3);
    const steady = last.length === 3 && Math.max(...last.map((m) => m.rss)) - Math.min(...last.map((m) => m.rss)) < 0.5 * MB;
    if ((Date.now() - started >= 12_000 && steady) || Date.now() - started >= 30_000) return samples.at(-1)!;
    await sleep(900);
  }
}

async function runWorker(devices: number, idleS: number, parallel: number, heap: boolean): Promise<WorkerResult> {
  const emu = await spawnEmulator();
  const database = await createTestDatabase();
  const masterToken = 'bench_master_' + randomBytes(24).toString('hex');
  const config: Config = { ...loadConfig({}), dataDir: database.dataDir, databaseUrl: database.databaseUrl, logLevel: 'silent', waWsUrl: emu.wsUrl };
  let w: Wuts | undefined;
  try {
    w = await startWuts({ config, db: database.db, masterToken, secrets: database.secrets });
    const first = w;
    // Everything but the connections, before the baseline: tenants, devices, emulator accounts,
    // and one round of each request kind (so their code paths and fetch are loaded).
    const tenants = Math.ceil(devices / TENANT_DEVICES);
    const tokens: string[] = [];
    const slots: Slot[] = [];
    for (let i = 0; i < tenants; i++) {
      const res = await first.call('POST', '/register', masterToken, { tenant_name: `Bench ${i}`, email: `bench${i}@example.test`, password: 'password-123' });
      if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
      tokens.push((res.json() as { token: string }).token);
    }
    for (let i = 0; i < devices; i++) {
      const token = tokens[Math.floor(i / TENANT_DEVICES)]!;
      const res = await first.call('POST', '/devices', token, { name: `bench ${i}` });
      if (res.statusCode !== 201) throw new Error(`create device: ${res.statusCode} ${res.body}`);
      slots.push({ token, deviceId: (res.json() as { device: { id: string } }).device.id, phone: String(15552000000 + i) });
    }
    await inBatches(slots, 10, async (slot) => void (await emulatorApi(emu.url, 'POST', '/admin/accounts', { phone: slot.phone })));
    await countConnected(first, tokens);
    await first.call('GET', `/devices/${slots[0]!.deviceId}`, slots[0]!.token);

    const base = await settledMemory();
    await import('../src/whatsapp/baileys/index.js');
    const lib = await settledMemory();
    const dir = heap ? fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-bench-heap-')) : '';
    const snapshots: string[] = [];
    if (heap) snapshots.push(v8.writeHeapSnapshot(path.join(dir, 'before.heapsnapshot')));

    const timings: LinkTiming[] = [];
    const wallStart = performance.now();
    await inBatches(slots, parallel, async (slot) => void timings.push(await linkOne(first, emu.url, slot)));
    const linkWallMs = performance.now() - wallStart;

    await sleep(idleS * 1000);
    const idle = await settledMemory();
    await sleep(10_000);
    const idleLater = await settledMemory();
    if (heap) snapshots.push(v8.writeHeapSnapshot(path.join(dir, 'after.heapsnapshot')));
    const connectedAtEnd = await countConnected(first, tokens);
    const emulatorRssMb = rssOfPid(emu.pid);

    // WUTS restarts on the same database, in this process: every device logs in again from its
    // stored session (no QR, no pre-key upload), the steady state of a long-running WUTS.
    await stopWuts(first);
    w = undefined;
    const second = await startWuts({ config, db: database.db, masterToken, secrets: database.secrets }, false);
    w = second;
    const stopped = await settledMemory();
    if (heap) snapshots.push(v8.writeHeapSnapshot(path.join(dir, 'stopped.heapsnapshot')));
    const restartStart = performance.now();
    await second.workers.start({ dispatcher: false });
    const deadline = Date.now() + 30_000 + devices * 1_000;
    let reconnected = 0;
    while ((reconnected = await countConnected(second, tokens)) < devices && Date.now() < deadline) await sleep(50);
    const restartMs = performance.now() - restartStart;
    await sleep(idleS * 1000);
    const restarted = await settledMemory();
    if (heap) snapshots.push(v8.writeHeapSnapshot(path.join(dir, 'restarted.heapsnapshot')));
    const connectedAfterRestart = await countConnected(second, tokens);
    return {
      devices,
      tenants,
      base,
      lib,
      idle,
      idleLater,
      connectedAtEnd,
      timings,
      linkWallMs,
      emulatorRssMb,
      stopped,
      restarted,
      restartMs: reconnected === devices ? restartMs : null,
      connectedAfterRestart,
      ...(heap ? { snapshots } : {}),
    };
  } finally {
    if (w) await stopWuts(w).catch((err: unknown) => console.error('stopping WUTS failed', err));
    await database.drop().catch((err: unknown) => console.error('dropping the database failed', err));
    await emu.close();
  }
}

// ---------------------------------------------------------------------------------------------
// parent: one worker per (size, repetition), then the table

function runChild(devices: number, idleS: number, parallel: number, heap = false): Promise<WorkerResult> {
  const timeoutMs = 200_000 + devices * 15_000 + idleS * 1000 + (heap ? 120_000 : 0);
  const args = [
    '--expose-gc',
    THIS_FILE,
    '--worker',
    String(devices),
    '--idle',
    String(idleS),
    '--parallel',
    String(parallel),
    ...(heap ? ['--heap-worker'] : []),
  ];
  return runWorkerProcess<WorkerResult>(args, `worker for ${devices} devices`, timeoutMs);
}

const perDeviceMb = (r: WorkerResult, field: keyof Memory, from: 'base' | 'lib' = 'lib', at: 'idle' | 'idleLater' = 'idleLater') =>
  (r[at][field] - r[from][field]) / r.devices / MB;
const spread = (values: number[], digits = 1) =>
  values.length > 1
    ? `${fmt(median(values), digits)} [${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}]`
    : fmt(values[0] ?? NaN, digits);

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

function report(results: Map<number, WorkerResult[]>): void {
  const sizes = [...results.keys()].sort((a, b) => a - b);
  const all = [...results.values()].flat();
  console.log('\nWUTS process memory before any connection (median [min–max] over all runs):');
  console.log(
    `  app built, tenants and devices created, 0 connected: RSS ${spread(all.map((r) => r.base.rss / MB))} MB, heap used ${spread(all.map((r) => r.base.heapUsed / MB))} MB`,
  );
  console.log(
    `  + Baileys provider module loaded (paid once, by the first device): RSS +${spread(all.map((r) => (r.lib.rss - r.base.rss) / MB))} MB, heap +${spread(all.map((r) => (r.lib.heapUsed - r.base.heapUsed) / MB))} MB`,
  );

  const rows: string[][] = [
    [
      'devices',
      'runs',
      'RSS / device (MB)',
      `goal < ${GOAL_MB} MB`,
      'heap used / device (MB)',
      'external (incl. buffers) / device (MB)',
      'RSS total (MB)',
      'connect→connected p50 / p95 / max (ms)',
      'still connected',
    ],
  ];
  for (const n of sizes) {
    const rs = results.get(n)!;
    const rss = rs.map((r) => perDeviceMb(r, 'rss'));
    const times = rs.flatMap((r) => r.timings.map((x) => x.totalMs));
    rows.push([
      String(n),
      String(rs.length),
      spread(rss, 2),
      median(rss) < GOAL_MB ? 'met' : 'NOT met',
      spread(
        rs.map((r) => perDeviceMb(r, 'heapUsed')),
        2,
      ),
      spread(
        rs.map((r) => perDeviceMb(r, 'external')),
        2,
      ),
      spread(
        rs.map((r) => r.idleLater.rss / MB),
        0,
      ),
      `${fmt(median(times), 0)} / ${fmt(quantile(times, 0.95), 0)} / ${fmt(Math.max(...times), 0)}`,
      rs.map((r) => `${r.connectedAtEnd}/${r.devices}`).join(' '),
    ]);
  }
  console.log('\nPer idle connected device: (RSS after linking, idle, GC) − (RSS with Baileys loaded, 0 devices), divided by N;');
  console.log('median [min–max] over the runs. Timings pooled over the runs.\n');
  console.log(pad(rows));

  if (sizes.length >= 2) {
    // the two largest sizes: the first device's warm-up (code compiled, caches filled) cancels
    const lo = sizes.at(-2)!;
    const hi = sizes.at(-1)!;
    const m = (n: number, f: keyof Memory) => median(results.get(n)!.map((r) => r.idleLater[f]));
    const slope = (f: keyof Memory) => (m(hi, f) - m(lo, f)) / (hi - lo) / MB;
    console.log(
      `\nMarginal cost between ${lo} and ${hi} devices (median totals, fixed costs cancel): RSS ${fmt(slope('rss'), 2)} MB/device, heap used ${fmt(slope('heapUsed'), 2)} MB/device  (goal < ${GOAL_MB} MB)`,
    );
  }

  console.log(
    '\nconnect→connected, its parts (median over all devices of a size): POST /connect answers the QR | emulator /admin/link | link → connected in the API',
  );
  for (const n of sizes) {
    const ts = results.get(n)!.flatMap((r) => r.timings);
    const walls = results.get(n)!.map((r) => r.linkWallMs / 1000);
    console.log(
      `  ${String(n).padStart(3)} devices: ${fmt(median(ts.map((x) => x.qrMs)), 0)} ms | ${fmt(median(ts.map((x) => x.scanMs)), 0)} ms | ${fmt(median(ts.map((x) => x.loginMs)), 0)} ms; all linked in ${spread(walls)} s`,
    );
  }
  const restartRows: string[][] = [
    [
      'devices',
      'RSS / device (MB)',
      `goal < ${GOAL_MB} MB`,
      'heap used / device (MB)',
      'workers.start() → all connected (s)',
      'still connected',
      'heap left by the stopped sessions / device (MB)',
    ],
  ];
  for (const n of sizes) {
    const rs = results.get(n)!;
    const rss = rs.map((r) => (r.restarted.rss - r.stopped.rss) / r.devices / MB);
    restartRows.push([
      String(n),
      spread(rss, 2),
      median(rss) < GOAL_MB ? 'met' : 'NOT met',
      spread(
        rs.map((r) => (r.restarted.heapUsed - r.stopped.heapUsed) / r.devices / MB),
        2,
      ),
      spread(rs.map((r) => (r.restartMs ?? NaN) / 1000)),
      rs.map((r) => `${r.connectedAfterRestart}/${r.devices}`).join(' '),
      spread(
        rs.map((r) => (r.stopped.heapUsed - r.lib.heapUsed) / r.devices / MB),
        2,
      ),
    ]);
  }
  console.log('\nAfter a restart of WUTS in the same process (workers stopped, a new app and workers on the same database, workers.start()):');
  console.log(
    'every device logs in from its stored session, no QR and no pre-key upload. Per device: (RSS reconnected, idle, GC) − (RSS stopped, 0 connected), / N.\n',
  );
  console.log(pad(restartRows));

  console.log('\nIdle drift (RSS 10 s after the measurement above, minus it; MB per device):');
  for (const n of sizes) {
    const drift = results.get(n)!.map((r) => (r.idleLater.rss - r.idle.rss) / r.devices / MB);
    const emu = results
      .get(n)!
      .map((r) => r.emulatorRssMb)
      .filter((x): x is number => x !== null);
    console.log(
      `  ${String(n).padStart(3)} devices: ${spread(drift, 2)}${emu.length ? `   (emulator child process, not counted: RSS ${spread(emu, 0)} MB)` : ''}`,
    );
  }
}

function option(args: string[], name: string, fallback: number, min: number, max: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${name} must be a number from ${min} to ${max}`);
  return v;
}

function trafficOptions(args: string[]): TrafficOptions {
  return {
    parallel: Math.floor(option(args, '--parallel', 8, 1, 32)),
    intervalS: option(args, '--interval', 10, 1, 60),
    warmupS: option(args, '--warmup', 20, 0, 300),
    windowS: option(args, '--window', 60, 5, 600),
    profile: args.includes('--profile'),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const trafficWorker = Math.floor(option(args, '--traffic-worker', 0, 0, 2000));
  if (trafficWorker > 0) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)));
    return trafficWorkerMain(trafficWorker, trafficOptions(args));
  }
  const trafficAt = args.indexOf('--traffic');
  if (trafficAt >= 0) {
    const sizes = (args[trafficAt + 1] ?? '').split(',').map(Number);
    if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 2000)) throw new Error('--traffic takes sizes from 1 to 2000, comma-separated');
    args.splice(trafficAt, 2);
    return trafficMain(THIS_FILE, sizes, trafficOptions(args));
  }
  const workerN = option(args, '--worker', 0, 0, 200);
  const idleS = option(args, '--idle', 5, 0, 120);
  const parallel = Math.floor(option(args, '--parallel', 1, 1, 20));
  const heapWorker = args.includes('--heap-worker');
  if (workerN > 0) {
    // exit handlers (which kill the emulator child) run on SIGTERM and SIGINT too
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)));
    if (!gc) console.error('warning: run with node --expose-gc; memory figures are unsteady without it');
    const result = await withTimeout(
      runWorker(workerN, idleS, parallel, heapWorker),
      180_000 + workerN * 15_000 + idleS * 1000 + (heapWorker ? 120_000 : 0),
      `worker with ${workerN} devices`,
    );
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    return;
  }
  const heapN = Math.floor(option(args, '--heap', 0, 0, 200));
  if (heapN > 0) {
    console.log(`heap snapshots: ${heapN} devices, one run`);
    const r = await runChild(heapN, idleS, parallel, true);
    const [before, after, stopped, restarted] = r.snapshots!.map((f) => summariseSnapshot(f));
    console.log(
      `\nlinked by QR (${r.connectedAtEnd}/${r.devices} connected; heap used ${fmt(perDeviceMb(r, 'heapUsed'), 2)} MB/device by process.memoryUsage):`,
    );
    for (const line of heapDiffLines(`heap snapshot, ${heapN} devices linked vs none`, before!, after!, heapN, 20)) console.log(line);
    console.log(
      `\nreconnected from stored sessions after a restart (${r.connectedAfterRestart}/${r.devices} connected; heap used ${fmt((r.restarted.heapUsed - r.stopped.heapUsed) / r.devices / MB, 2)} MB/device):`,
    );
    for (const line of heapDiffLines(`heap snapshot, ${heapN} devices reconnected vs stopped`, stopped!, restarted!, heapN, 20)) console.log(line);
    console.log(`\nleft behind by the ${heapN} stopped sessions (stopped, before the restart's connections, vs before any connection):`);
    for (const line of heapDiffLines(`heap snapshot, ${heapN} sessions stopped vs none ever`, before!, stopped!, heapN, 10)) console.log(line);
    fs.rmSync(path.dirname(r.snapshots![0]!), { recursive: true, force: true });
    return;
  }
  const reps = Math.floor(option(args, '--reps', 3, 1, 5));
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0 && n <= 200);
  const list = sizes.length ? sizes.slice(0, 6) : [1, 10, 50];
  console.log(
    `devices benchmark: sizes ${list.join(', ')}; ${reps} run(s) each, a fresh WUTS process and emulator per run; ${parallel} linked at a time; measured after ${idleS} s idle + settling (GC, >= 12 s), and again 10 s later`,
  );
  console.log(`node ${process.version}, SQLite, real Baileys (WUTS's provider) against the emulator in a child process`);
  const results = new Map<number, WorkerResult[]>();
  for (let rep = 0; rep < reps; rep++) {
    // the sizes side by side in each round, so a noisy moment of the machine hits all of them
    for (const n of list) {
      const started = Date.now();
      try {
        const r = await runChild(n, idleS, parallel);
        results.set(n, [...(results.get(n) ?? []), r]);
        console.log(
          `  run ${rep + 1}, ${n} devices: ${fmt(perDeviceMb(r, 'rss'), 2)} MB RSS/device, connect→connected p50 ${fmt(median(r.timings.map((x) => x.totalMs)), 0)} ms (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
      } catch (err) {
        console.log(`  run ${rep + 1}, ${n} devices: FAILED: ${(err as Error).message}`);
      }
    }
  }
  if (results.size) report(results);
}

await main();
// Baileys leaves ref'd timers behind: don't wait for them
process.exit(0);
