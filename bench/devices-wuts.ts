// What the devices benchmark's runs share (bench/devices.ts and bench/devices-traffic.ts): one WUTS
// in the calling process (the app and its workers, called through app.inject), linking a device by
// QR through the HTTP API and the emulator's admin API, and small figures helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { systemClock, type Deps } from '../src/deps.js';
import { Identities } from '../src/auth/identities.js';
import { EventBus } from '../src/events/bus.js';
import { openMediaStore } from '../src/media/open-store.js';
import { createWorkers, type Workers } from '../src/workers/index.js';
import type { Db } from '../src/db/connect.js';
import { emulatorApi } from './emulator-child.js';

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
export const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
};
export const median = (values: number[]) => quantile(values, 0.5);

export interface LinkTiming {
  /** POST /connect -> connected in GET /devices/{id}: the figure */
  totalMs: number;
  /** POST /connect answered with the QR */
  qrMs: number;
  /** emulator POST /admin/link (the phone scans, the pairing is confirmed) */
  scanMs: number;
  /** link confirmed -> connected in the API (Baileys restarts after 515 and logs in) */
  loginMs: number;
}

export async function inBatches<T>(items: T[], size: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map((item, j) => run(item, i + j)));
}

export function rssOfPid(pid: number): number | null {
  try {
    // Linux only; absent elsewhere
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

export interface Slot {
  token: string;
  deviceId: string;
  phone: string;
}

/** Something that answers WUTS's HTTP API: an in-process app (app.inject) or a `wuts serve` over HTTP. */
export interface Caller {
  call(method: 'GET' | 'POST', url: string, token: string, body?: unknown): Promise<{ statusCode: number; body: string; json(): unknown }>;
}

/** One WUTS in this process: its app and workers, called through app.inject. */
export interface Wuts extends Caller {
  deps: Deps;
  workers: Workers;
  app: FastifyInstance;
  call(method: 'GET' | 'POST', url: string, token: string, body?: unknown): Promise<LightMyRequestResponse>;
}

/** The app and its workers; the workers start (and reconnect stored devices) unless `start` is false. */
export async function startWuts(base: { config: Config; db: Db; masterToken: string; secrets: Deps['secrets'] }, start = true): Promise<Wuts> {
  // WUTS's production WhatsApp settings (no test timeouts); logs off
  const media = await openMediaStore(base.config);
  const logger = pino({ level: 'silent' });
  const deps: Deps = { ...base, logger, bus: new EventBus(), clock: systemClock, media, identities: new Identities(base.config, logger) };
  const app = await buildApp(deps);
  const workers = createWorkers(deps);
  if (start) await workers.start({ dispatcher: false });
  return {
    deps,
    workers,
    app,
    call: (method, url, token, body) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) }),
  };
}

export async function stopWuts(w: Wuts): Promise<void> {
  await w.app.close();
  await w.workers.stop();
}

export async function linkOne(w: Caller, emulatorUrl: string, slot: Slot): Promise<LinkTiming> {
  const t0 = performance.now();
  const res = await w.call('POST', `/devices/${slot.deviceId}/connect`, slot.token, {});
  if (res.statusCode !== 200) throw new Error(`connect ${slot.deviceId}: ${res.statusCode} ${res.body}`);
  const answer = res.json() as { device: { status: string; reason: string | null }; qr: { text: string } | null };
  if (!answer.qr) throw new Error(`connect ${slot.deviceId}: no QR, the device is ${answer.device.status} (${answer.device.reason})`);
  const tQr = performance.now();
  await emulatorApi(emulatorUrl, 'POST', '/admin/link', { qr: answer.qr.text, phone: slot.phone });
  const tScanned = performance.now();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = (await w.call('GET', `/devices/${slot.deviceId}`, slot.token)).json() as { device: { status: string; reason: string | null } };
    if (d.device.status === 'connected') break;
    if (Date.now() > deadline) throw new Error(`device ${slot.deviceId} not connected after 30 s: ${d.device.status} (${d.device.reason})`);
    await sleep(20);
  }
  const t1 = performance.now();
  return { totalMs: t1 - t0, qrMs: tQr - t0, scanMs: tScanned - tQr, loginMs: t1 - tScanned };
}

export async function countConnected(w: Wuts, tokens: string[]): Promise<number> {
  let n = 0;
  for (const token of tokens) {
    const res = (await w.call('GET', '/devices?limit=100', token)).json() as { devices: { status: string }[] };
    n += res.devices.filter((d) => d.status === 'connected').length;
  }
  return n;
}

/**
 * Runs a worker process (node with `args`) that prints its figures as one `RESULT <json>` line;
 * past `timeoutMs` it gets SIGTERM (so it stops its emulator child), then SIGKILL.
 */
export function runWorkerProcess<T>(args: string[], label: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      reject(new Error(`${label} took more than ${timeoutMs / 1000} s; killed`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else reject(new Error(`${label} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}
