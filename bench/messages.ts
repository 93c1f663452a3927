// Benchmark of the messages module, three comparisons printed side by side in one run:
//  1. accepted sends per second on POST /devices/{id}/messages (a text; real HTTP on 127.0.0.1,
//     undici Pool with keep-alive, N clients, fixed duration) against a bare Fastify route that
//     validates a similar body and answers 202 (same client, same concurrency), with p50/p99.
//     Each run is a fresh server child process (bench/messages-accept-server.ts) with a database
//     of its own; the client runs here. The device exists but is never connected, so accepted
//     messages stay queued; WUTS_MAX_QUEUED_PER_DEVICE is raised so that no run hits it.
//  2. messages per second end to end: a device linked to the emulator (a child process,
//     `wuts emulator --port 0`) through /admin/link, M texts POSTed at once with
//     sendIntervalMs 0, timed from the first POST until all are `delivered`; per message
//     accept -> sent and accept -> delivered (from the status history). Beside it, the same M
//     texts sent by a bare Baileys client linked to another emulator account.
//  3. chat history page latency (GET /devices/{id}/chats/{chat}/messages?limit=50, app.inject)
//     with 10 thousand and with 1 million stored messages, at several depths; fill time too.
//
// Build and run: npx tsc -p tsconfig.json && node dist/bench/messages.js [options]
//   --pg                PostgreSQL too: WUTS_BENCH_DATABASE_URL, WUTS_TEST_DATABASE_URL or
//                       postgres://postgres@127.0.0.1:5432/test (either variable alone turns it on);
//                       every run creates a scratch database on that server and drops it
//   --only LIST         accept,e2e,history (default: all three)
//   --seconds S         measured seconds per accept run (default 5; 1 s of warm-up before)
//   --rounds R          accept runs per row, alternated with the other rows (default 2)
//   --clients LIST      accept concurrencies (default 1,16)
//   --profile           one more WUTS accept run per database, CPU-profiled (server side)
//   --messages M        end-to-end messages (default 200, at most 1,000)
//   --rows N            messages stored in the large history case (default 1,000,000)
//   --samples K         history requests per page kind and case (default 500)
// Figures, never pass/fail; goals are printed beside them.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { CompiledQuery } from 'kysely';
import { Pool } from 'undici';
import { proto } from '@whiskeysockets/baileys';
import { linkBareClient, until } from './bare-client.js';
import { emulatorApi, spawnEmulator, type EmulatorChild } from './emulator-child.js';
import * as repo from '../src/messages/repo.js';
import { encodeCursor } from '../src/lib/pagination.js';
import { DEFAULT_PG_URL, LABEL, fmt, latency, openWuts, table, tenantWithDevices, withTimeout, type BenchWuts, type Kind } from './messages-common.js';
import { bulkWriter, messageRow, prng } from './messages-fill.js';
import type { ProfileSummary } from './cpu-profile.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_JS = path.join(HERE, 'messages-accept-server.js');
/** dist/bench/messages.js -> dist/src/main.js */

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const num = (name: string, fallback: number, min: number, max: number) => Math.min(max, Math.max(min, Number(opt(name)) || fallback));
const ENV_PG = process.env.WUTS_BENCH_DATABASE_URL || process.env.WUTS_TEST_DATABASE_URL || undefined;
const PG_URL = ENV_PG ?? (argv.includes('--pg') ? DEFAULT_PG_URL : undefined);
const KINDS: Kind[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
const ONLY = new Set((opt('--only') ?? 'accept,e2e,history').split(','));
const SECONDS = num('--seconds', 5, 1, 60);
const ROUNDS = num('--rounds', 2, 1, 5);
const CLIENTS = (opt('--clients') ?? '1,16').split(',').map((c) => Math.min(256, Math.max(1, Number(c) || 1)));
const PROFILE = argv.includes('--profile');
const MESSAGES = num('--messages', 200, 10, 1000);
const ROWS = num('--rows', 1_000_000, 20_000, 2_000_000);
const SAMPLES = num('--samples', 500, 50, 5000);
const WARMUP_MS = 1000;
const PAGE = 50;

const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const kinds = () => KINDS.map((k) => [k, LABEL[k]] as const);

// =============================================================================================
// 1. accepting sends

interface ServerChild {
  url: string;
  token: string;
  deviceId: string;
  profileStart(): Promise<void>;
  finish(): Promise<{ counts: Record<string, number>; profile?: ProfileSummary }>;
}

function startServer(server: 'bare' | 'wuts', kind: Kind, prefill = 0): Promise<ServerChild> {
  const args = [SERVER_JS, '--server', server, '--kind', kind, ...(PG_URL ? ['--pg-url', PG_URL] : []), '--prefill', String(prefill)];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const next = <T>(type: string, ms: number) =>
    withTimeout(
      new Promise<T>((resolve, reject) => {
        const onMessage = (m: { type: string }) => {
          if (m.type !== type) return;
          child.off('message', onMessage);
          resolve(m as T);
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`the ${server} server exited (${code}) before '${type}'`)));
      }),
      ms,
      `the ${server} server's '${type}'`,
    ).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
  return next<{ url: string; token: string; deviceId: string }>('ready', 120_000).then((ready) => ({
    ...ready,
    profileStart: async () => {
      child.send({ type: 'profile-start' });
      await next('profiling', 10_000);
    },
    finish: async () => {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ type: 'finish' });
      const done = await next<{ counts: Record<string, number>; profile?: ProfileSummary }>('done', 120_000);
      await withTimeout(exited, 10_000, 'the server to exit').catch(() => child.kill('SIGKILL'));
      process.off('exit', killOnExit);
      return done;
    },
  }));
}

interface Load {
  completed: number;
  ms: number;
  latencies: number[];
  /** answers other than the expected status, by status */
  other: Map<number, number>;
  sample?: string;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** `clients` loops on one keep-alive pool; counts what completes between warm-up's end and the deadline. */
async function load(
  url: string,
  clients: number,
  expect: number,
  make: (i: number) => Request,
  hooks: { afterWarmup?: () => Promise<void> } = {},
): Promise<Load> {
  const pool = new Pool(url, { connections: clients, pipelining: 1 });
  const out: Load = { completed: 0, ms: 0, latencies: [], other: new Map() };
  let i = 0;
  let measuring = false;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const req = make(i++);
      const t0 = performance.now();
      const res = await pool.request({ origin: url, method: req.method, path: req.path, headers: req.headers, body: req.body });
      const text = await res.body.text();
      const t1 = performance.now();
      if (!measuring || stop) continue;
      out.completed++;
      out.latencies.push(t1 - t0);
      if (res.statusCode !== expect) {
        out.other.set(res.statusCode, (out.other.get(res.statusCode) ?? 0) + 1);
        out.sample ??= `${res.statusCode} ${text.slice(0, 200)}`;
      }
    }
  };
  const workers = Array.from({ length: clients }, worker);
  await sleep(WARMUP_MS);
  await hooks.afterWarmup?.();
  measuring = true;
  const start = performance.now();
  await sleep(SECONDS * 1000);
  stop = true;
  out.ms = performance.now() - start;
  await Promise.all(workers);
  await pool.close();
  return out;
}

type Variant = 'bare' | 'wuts' | 'wuts-idem' | 'wuts-queued' | 'wuts-one-chat' | 'bare-get' | 'wuts-get';
const VARIANTS: { id: Variant; name: string }[] = [
  { id: 'bare', name: 'bare Fastify POST (ajv body check, 202)' },
  { id: 'wuts', name: 'WUTS POST /devices/{id}/messages' },
  { id: 'wuts-idem', name: 'WUTS POST ..., Idempotency-Key' },
  { id: 'wuts-queued', name: 'WUTS POST ..., 10,000 already queued' },
  { id: 'wuts-one-chat', name: 'WUTS POST ..., all to one recipient' },
  { id: 'bare-get', name: 'bare Fastify GET (params check, 200)' },
  { id: 'wuts-get', name: 'WUTS GET /devices/{id} (auth + 1 read)' },
];
/** The goals of issue 14, as a share of the bare route: accepts (POST) and the floor of a route (GET). */
const GOALS: Record<Kind, { post: number; get: number }> = { sqlite: { post: 0.5, get: 0.7 }, postgres: { post: 0.3, get: 0.5 } };
const isBare = (v: Variant) => v === 'bare' || v === 'bare-get';
const isGet = (v: Variant) => v === 'bare-get' || v === 'wuts-get';
/** Recipients cycle over this many numbers (one chat each), except in the one-recipient row. */
const RECIPIENTS = 1000;
const PREFILL = 10_000;

async function acceptRun(
  kind: Kind,
  variant: Variant,
  clients: number,
  profile = false,
): Promise<Load & { counts: Record<string, number>; profile?: ProfileSummary }> {
  const server = await startServer(isBare(variant) ? 'bare' : 'wuts', kind, variant === 'wuts-queued' ? PREFILL : 0);
  let result: Load;
  try {
    const auth: Record<string, string> = isBare(variant) ? {} : { authorization: `Bearer ${server.token}` };
    const run = randomBytes(3).toString('hex');
    result = await load(
      server.url,
      clients,
      isGet(variant) ? 200 : 202,
      (i) =>
        isGet(variant)
          ? { method: 'GET', path: `/devices/${server.deviceId}`, headers: auth }
          : {
              method: 'POST',
              path: `/devices/${server.deviceId}/messages`,
              headers: { 'content-type': 'application/json', ...auth, ...(variant === 'wuts-idem' ? { 'idempotency-key': `bench-${run}-${i}` } : {}) },
              body: JSON.stringify({
                type: 'text',
                to: variant === 'wuts-one-chat' ? '15550001111' : String(15550000000 + (i % RECIPIENTS)),
                text: `hello from the benchmark, message ${i}`,
              }),
            },
      profile ? { afterWarmup: () => server.profileStart() } : {},
    );
  } catch (err) {
    await server.finish().catch(() => undefined);
    throw err;
  }
  const done = await server.finish();
  return { ...result, ...done };
}

async function acceptSection(): Promise<void> {
  console.log(`\n== 1. Accepting sends: POST /devices/{id}/messages (a text) against a bare Fastify route`);
  console.log(
    `undici Pool on 127.0.0.1 with keep-alive, one connection per client; each run: a fresh server child process (own database), ${WARMUP_MS / 1000} s warm-up, ${SECONDS} s measured;`,
  );
  console.log(`${ROUNDS} run(s) per row, the rows alternated; req/s = answers in the measured seconds; latency per request as the client sees it.`);
  console.log(
    `Texts of ~40 characters to ${RECIPIENTS.toLocaleString('en-US')} recipients in turn (one chat each), unless the row says otherwise. The device is never connected (messages stay queued);`,
  );
  console.log(`WUTS_MAX_QUEUED_PER_DEVICE raised to 100,000,000. The bare route has no auth and no database.`);
  const rows: string[][] = [['database', 'run', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'not 2xx', 'vs bare', 'queued at end']];
  const goals: string[] = [];
  const profiles: string[] = [];
  for (const [kind, label] of kinds()) {
    for (const clients of CLIENTS) {
      const pooled = new Map<Variant, { completed: number; ms: number; latencies: number[]; other: number; sample?: string; queued: number[] }>();
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of VARIANTS) {
          const res = await acceptRun(kind, v.id, clients);
          const p = pooled.get(v.id) ?? { completed: 0, ms: 0, latencies: [], other: 0, queued: [] };
          p.completed += res.completed;
          p.ms += res.ms;
          for (const l of res.latencies) p.latencies.push(l);
          p.other += [...res.other.values()].reduce((a, b) => a + b, 0);
          p.sample ??= res.sample;
          if (res.counts.queued !== undefined) p.queued.push(res.counts.queued);
          pooled.set(v.id, p);
        }
      }
      const rateOf = (v: Variant) => pooled.get(v)!.completed / (pooled.get(v)!.ms / 1000);
      for (const v of VARIANTS) {
        const p = pooled.get(v.id)!;
        const rate = p.completed / (p.ms / 1000);
        const bareRate = rateOf(isGet(v.id) ? 'bare-get' : 'bare');
        const l = latency(p.latencies);
        rows.push([
          label,
          v.name,
          String(clients),
          fmt(rate),
          fmt(l.p50, 2),
          fmt(l.p99, 2),
          String(p.other),
          isBare(v.id) ? '-' : `${fmt((100 * rate) / bareRate, 1)}%`,
          p.queued.length ? p.queued.map((q) => q.toLocaleString('en-US')).join(' / ') : '-',
        ]);
        if (p.sample) goals.push(`${label} ${v.name}, ${clients} clients: unexpected answers, e.g. ${p.sample}`);
        if (v.id === 'wuts' || v.id === 'wuts-get') {
          const share = rate / bareRate;
          const goal = v.id === 'wuts' ? GOALS[kind].post : GOALS[kind].get;
          const what = v.id === 'wuts' ? 'accepts' : 'answers GET /devices/{id}';
          goals.push(
            `${label}, ${clients} client${clients === 1 ? '' : 's'}: WUTS ${what} ${fmt(rate)}/s = ${fmt(100 * share, 1)}% of the bare route's ${fmt(bareRate)}/s (goal >= ${fmt(100 * goal)}%: ${share >= goal ? 'met' : `missed, ${fmt(goal / share, 2)}x short`})`,
          );
        }
      }
    }
    if (PROFILE) {
      const clients = Math.max(...CLIENTS);
      for (const [variant, what] of [
        ['wuts', 'WUTS POST'],
        ['bare', 'bare POST'],
        ['wuts-get', 'WUTS GET'],
      ] as const) {
        const res = await acceptRun(kind, variant, clients, true);
        const p = res.profile;
        if (!p) continue;
        const rate = res.completed / (res.ms / 1000);
        profiles.push(
          `${label}, ${what} at ${clients} clients (${fmt(rate)} req/s in this run): server CPU busy ${fmt(p.busyMs)} ms of ${fmt(p.wallMs)} ms profiled (${fmt((100 * p.busyMs) / p.wallMs, 0)}%), ${fmt((1000 * p.busyMs) / Math.max(1, res.completed), 0)} µs of CPU per request`,
        );
        if (variant === 'bare') continue;
        profiles.push('  self time by where the code lives:');
        for (const c of p.categories) profiles.push(`    ${fmt((100 * c.ms) / p.busyMs, 1).padStart(5)}%  ${c.name}`);
        profiles.push('  hottest functions (self time):');
        for (const f of p.functions) profiles.push(`    ${fmt((100 * f.ms) / p.busyMs, 1).padStart(5)}%  ${f.name}`);
      }
    }
  }
  console.log('');
  console.log(table(rows));
  console.log('');
  for (const g of goals) console.log(g);
  if (profiles.length) {
    console.log('');
    for (const p of profiles) console.log(p);
  }
}

// =============================================================================================
// 2. end to end through the emulator

interface E2eFigures {
  accepted: number;
  delivered: number;
  acceptAllMs: number;
  sentAllMs: number;
  deliveredAllMs: number;
  toSent: number[];
  toDelivered: number[];
  atPeer: string;
  note?: string;
}

/** WUTS: a device linked to the emulator, M texts POSTed (8 clients), until all are delivered. */
async function wutsEndToEnd(w: BenchWuts, emu: EmulatorChild, phone: string, peer: string): Promise<E2eFigures> {
  const { token, tenantId, deviceIds } = await tenantWithDevices(w, 1);
  const deviceId = deviceIds[0]!;
  const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    w.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { payload: body as object } : {}) });
  const connect = await call('POST', `/devices/${deviceId}/connect`, {});
  if (connect.statusCode !== 200) throw new Error(`connect: ${connect.statusCode} ${connect.body}`);
  await emulatorApi(emu.url, 'POST', '/admin/link', { qr: (connect.json() as { qr: { text: string } }).qr.text, phone });
  await until(
    'device connected',
    30_000,
    async () => ((await call('GET', `/devices/${deviceId}`)).json() as { device: { status: string } }).device.status === 'connected',
  );
  await w.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}`;
  const db = w.db.kysely;
  const statusOf = async (id: string) => (await repo.findMessage(db, tenantId, id))?.status;

  // warm-up: one message, so that the Signal session with the peer and its number check exist
  const warm = await call('POST', `/devices/${deviceId}/messages`, { type: 'text', to: peer, text: 'warm-up' });
  if (warm.statusCode !== 202) throw new Error(`warm-up send: ${warm.statusCode} ${warm.body}`);
  const warmId = (warm.json() as { message: { id: string } }).message.id;
  await until('warm-up delivered', 30_000, async () => ['delivered', 'read'].includes((await statusOf(warmId)) ?? ''));

  const pool = new Pool(url, { connections: 8 });
  const ids: string[] = [];
  const waIds = new Set<string>();
  let next = 0;
  const t0 = performance.now();
  const wall0 = Date.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < MESSAGES) {
        const i = next++;
        const res = await pool.request({
          origin: url,
          method: 'POST',
          path: `/devices/${deviceId}/messages`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ type: 'text', to: peer, text: `bench ${i}` }),
        });
        const body = (await res.body.json()) as { message?: { id: string; wa_id: string } };
        if (res.statusCode !== 202 || !body.message) throw new Error(`send ${i}: ${res.statusCode} ${JSON.stringify(body)}`);
        ids.push(body.message.id);
        waIds.add(body.message.wa_id);
      }
    }),
  );
  const acceptAllMs = performance.now() - t0;
  await pool.close();
  const firstId = [...ids].sort()[0]!;
  const count = async () =>
    Number(
      (
        await db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('device_id', '=', deviceId)
          .where('id', '>=', firstId)
          .where('status', 'in', ['delivered', 'read'])
          .executeTakeFirstOrThrow()
      ).n,
    );
  let delivered = 0;
  let note: string | undefined;
  const deadline = performance.now() + 120_000;
  while ((delivered = await count()) < MESSAGES) {
    if (performance.now() > deadline) {
      note = `stopped after 120 s with ${delivered}/${MESSAGES} delivered`;
      break;
    }
    await sleep(10);
  }
  const deliveredAllMs = performance.now() - t0;

  // per message, from the status history (timestamps written by this process, in ms)
  const toSent: number[] = [];
  const toDelivered: number[] = [];
  let lastSent = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const history = await db
      .selectFrom('message_statuses')
      .select(['message_id', 'status', 'created_at'])
      .where('message_id', 'in', ids.slice(i, i + 500))
      .execute();
    const by = new Map<string, Record<string, number>>();
    for (const h of history) {
      const m = by.get(h.message_id) ?? {};
      m[h.status] = Date.parse(h.created_at);
      by.set(h.message_id, m);
    }
    for (const m of by.values()) {
      if (m.queued === undefined) continue;
      if (m.sent !== undefined) {
        toSent.push(m.sent - m.queued);
        lastSent = Math.max(lastSent, m.sent);
      }
      if (m.delivered !== undefined) toDelivered.push(m.delivered - m.queued);
    }
  }
  let atPeer = 'not checked (over 500)';
  if (MESSAGES <= 499) {
    const got = await emulatorApi<{ received: { id: string }[] }>(emu.url, 'GET', `/admin/accounts/${peer}/messages?limit=500`);
    atPeer = `${got.received.filter((m) => waIds.has(m.id)).length}/${MESSAGES}`;
  }
  return { accepted: ids.length, delivered, acceptAllMs, sentAllMs: lastSent - wall0, deliveredAllMs, toSent, toDelivered, atPeer, ...(note ? { note } : {}) };
}

/** A bare Baileys client (as bench/emulator.ts makes them) linked to `phone` on the emulator. */
async function baileysClient(emu: EmulatorChild, phone: string) {
  const onDelivered = new Map<string, () => void>();
  const client = await linkBareClient(emu, phone, {
    defaultQueryTimeoutMs: 10_000,
    onSocket: (sock) => {
      const seen = (id: string | null | undefined, status: number | null | undefined) => {
        if (id && typeof status === 'number' && status >= proto.WebMessageInfo.Status.DELIVERY_ACK) onDelivered.get(id)?.();
      };
      sock.ev.on('messages.update', (updates) => updates.forEach((u) => seen(u.key.id, u.update.status)));
      // Baileys reports the receipt of a message it sent as an upsert of that message with its status
      sock.ev.on('messages.upsert', ({ messages }) => messages.forEach((m) => m.key.fromMe && seen(m.key.id, m.status)));
    },
  });
  return { ...client, onDelivered };
}

/** M texts from a bare Baileys client: one at a time, each waiting for the server's ack (as WUTS's queue does), or at Baileys' own pace (await sendMessage only). */
async function directEndToEnd(client: Awaited<ReturnType<typeof baileysClient>>, peer: string, waitAck: boolean): Promise<E2eFigures> {
  const toSent: number[] = [];
  const toDelivered: number[] = [];
  const deliveredAll: Promise<void>[] = [];
  let lastAck = 0;
  const send = async (text: string) => {
    const id = `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
    const acked = new Promise<void>((r) => client.onAck.set(id, r));
    deliveredAll.push(new Promise<void>((r) => client.onDelivered.set(id, r)));
    await client.sock().sendMessage(jid(peer), { text }, { messageId: id });
    return { id, acked };
  };
  const warm = await send('warm-up');
  await withTimeout(deliveredAll.pop()!, 30_000, 'warm-up delivered');
  await warm.acked;
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const { id, acked } = await send(`direct ${i}`);
    const at = deliveredAll.length - 1;
    deliveredAll[at] = deliveredAll[at]!.then(() => void toDelivered.push(performance.now() - t0));
    const ackP = acked.then(() => {
      const now = performance.now();
      toSent.push(now - t0);
      lastAck = Math.max(lastAck, now - t0);
    });
    if (waitAck) await withTimeout(ackP, 30_000, `ack of ${id}`);
  }
  const acceptAllMs = performance.now() - t0;
  let note: string | undefined;
  await withTimeout(Promise.all(deliveredAll), 120_000, 'direct deliveries').catch((err: Error) => (note = err.message));
  const deliveredAllMs = performance.now() - t0;
  return {
    accepted: MESSAGES,
    delivered: toDelivered.length,
    acceptAllMs,
    sentAllMs: lastAck,
    deliveredAllMs,
    toSent,
    toDelivered,
    atPeer: '-',
    ...(note ? { note } : {}),
  };
}

async function e2eSection(): Promise<void> {
  console.log(`\n== 2. End to end through the emulator: ${MESSAGES} texts, sendIntervalMs 0, jitter 0`);
  console.log(`WUTS (this process, real Baileys provider) -> emulator (child process) -> the peer account's phone, whose delivery receipt comes back.`);
  console.log(
    `WUTS: ${MESSAGES} POSTs over HTTP by 8 clients, after one warm-up message; time from the first POST until the database shows all delivered (polled every 10 ms);`,
  );
  console.log(`per message from its accept (the 'queued' status row) to 'sent' and 'delivered' (status rows). No webhook is configured.`);
  console.log(
    `Bare Baileys: a client linked to another account of the same emulator sends the same ${MESSAGES} texts to the same peer; latencies from the start of the batch.`,
  );
  const rows: string[][] = [
    [
      'database',
      'sender',
      'delivered',
      'at peer',
      'all accepted ms',
      'all sent ms',
      'all delivered ms',
      'msgs/s',
      '->sent p50',
      'p99',
      '->delivered p50',
      'p99',
    ],
  ];
  const notes: string[] = [];
  const emu = await spawnEmulator();
  try {
    let n = 0;
    for (const [kind, label] of kinds()) {
      const phone = String(15552220001 + 10 * n);
      const peer = String(15552220002 + 10 * n);
      const direct = String(15552220003 + 10 * n);
      n++;
      for (const [p, name] of [
        [phone, 'WUTS'],
        [peer, 'Peer'],
        [direct, 'Direct'],
      ] as const)
        await emulatorApi(emu.url, 'POST', '/admin/accounts', { phone: p, name });
      const w = await openWuts(kind, PG_URL, { waWsUrl: emu.wsUrl, sendIntervalMs: 0, sendJitterPercent: 0 });
      try {
        const f = await wutsEndToEnd(w, emu, phone, peer);
        const s = latency(f.toSent);
        const d = latency(f.toDelivered);
        rows.push([
          label,
          'WUTS (HTTP accept, queue, Baileys)',
          `${f.delivered}/${MESSAGES}`,
          f.atPeer,
          fmt(f.acceptAllMs),
          fmt(f.sentAllMs),
          fmt(f.deliveredAllMs),
          fmt((1000 * f.delivered) / f.deliveredAllMs, 1),
          fmt(s.p50),
          fmt(s.p99),
          fmt(d.p50),
          fmt(d.p99),
        ]);
        if (f.note) notes.push(`${label} WUTS: ${f.note}`);
      } finally {
        await w.close();
      }
      if (kind === 'sqlite') {
        const client = await baileysClient(emu, direct);
        try {
          for (const waitAck of [true, false]) {
            const f = await directEndToEnd(client, peer, waitAck);
            const s = latency(f.toSent);
            const d = latency(f.toDelivered);
            rows.push([
              '-',
              `bare Baileys, ${waitAck ? 'one at a time, awaiting each ack' : 'await sendMessage only'}`,
              `${f.delivered}/${MESSAGES}`,
              '-',
              fmt(f.acceptAllMs),
              fmt(f.sentAllMs),
              fmt(f.deliveredAllMs),
              fmt((1000 * f.delivered) / f.deliveredAllMs, 1),
              fmt(s.p50),
              fmt(s.p99),
              fmt(d.p50),
              fmt(d.p99),
            ]);
            if (f.note) notes.push(`bare Baileys: ${f.note}`);
          }
        } finally {
          client.end();
        }
      }
    }
  } finally {
    await emu.close();
  }
  console.log('');
  console.log(table(rows));
  console.log(
    `(all ... ms: from the first POST, or the batch's start, until the last message was accepted / acknowledged by the server / delivered; latencies in ms)`,
  );
  for (const note of notes) console.log(`note: ${note}`);
}

// =============================================================================================
// 3. chat history at 10 thousand and 1 million stored messages

interface HistoryCase {
  name: string;
  w: BenchWuts;
  token: string;
  tenantId: string;
  deviceId: string;
  chatJid: string;
  chatRows: number;
  stored: number;
  fillMs: number;
  /** the page kinds: query string and the repo call's arguments */
  pages: { name: string; query: string; cursor: string | undefined; direction: 'older' | 'newer' }[];
}

const CHAT_A = (device: number) => `1555${String(device).padStart(2, '0')}000000@s.whatsapp.net`;
const CHAT_B = '155500000001@s.whatsapp.net';
const CHAT_C = '155500000002@s.whatsapp.net';

/** A database of `total` messages: the measured chats and the rest spread over devices x 100 chats, interleaved in time. */
async function fillHistory(
  kind: Kind,
  total: number,
  devices: number,
): Promise<{ w: BenchWuts; tenantId: string; token: string; deviceIds: string[]; fillMs: number; counts: Map<string, number> }> {
  const w = await openWuts(kind, PG_URL);
  const { token, tenantId, deviceIds } = await tenantWithDevices(w, devices);
  const rand = prng(42);
  const counts = new Map<string, number>();
  const stepA = Math.max(1, Math.floor(total / 10_000));
  const t0 = performance.now();
  const writer = await bulkWriter(kind, w);
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    let device = 0;
    let chat: string;
    if (devices === 1)
      chat = CHAT_A(0); // the small case: one chat holds every message
    else if (i % 10 === 5) chat = 'B';
    else if (i % 1000 === 7) chat = 'C';
    else if (i % stepA === 0) chat = 'A';
    else {
      device = Math.floor(rand() * devices);
      const c = 3 + Math.floor(rand() * 97);
      chat = `1555${String(device).padStart(2, '0')}${String(c).padStart(6, '0')}@s.whatsapp.net`;
    }
    if (chat === 'A') chat = CHAT_A(0);
    if (chat === 'B') chat = CHAT_B;
    if (chat === 'C') chat = CHAT_C;
    counts.set(chat, (counts.get(chat) ?? 0) + 1);
    await writer.add(messageRow({ tenantId, deviceId: deviceIds[device]!, chatJid: chat, at: start + Math.floor(i / 1000) }, rand));
  }
  await writer.finish();
  if (kind === 'postgres') await w.db.kysely.executeQuery(CompiledQuery.raw('analyze messages'));
  return { w, tenantId, token, deviceIds, fillMs: performance.now() - t0, counts };
}

const chatName = (chatJid: string) => (chatJid === CHAT_A(0) ? 'A' : chatJid === CHAT_B ? 'B' : 'C');

async function pagesOf(c: Omit<HistoryCase, 'pages' | 'chatRows'>): Promise<{ chatRows: number; pages: HistoryCase['pages'] }> {
  const db = c.w.db.kysely;
  const base = () =>
    db
      .selectFrom('messages')
      .where('tenant_id', '=', c.tenantId)
      .where('device_id', '=', c.deviceId)
      .where('chat_jid', '=', c.chatJid)
      .where('type', 'not in', ['edit', 'delete']);
  const chatRows = Number(
    (
      await base()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const at = async (offset: number) => (await base().select('id').orderBy('id', 'desc').limit(1).offset(offset).executeTakeFirstOrThrow()).id;
  const middle = await at(Math.floor(chatRows / 2));
  const oldestPage = await at(chatRows - PAGE - 1);
  const phone = c.chatJid.split('@')[0]!;
  const q = (cursor: string | undefined, direction: 'older' | 'newer') =>
    `/devices/${c.deviceId}/chats/${phone}/messages?limit=${PAGE}${cursor ? `&cursor=${encodeCursor(cursor)}` : ''}${direction === 'newer' ? '&direction=newer' : ''}`;
  return {
    chatRows,
    pages: [
      { name: 'newest page', query: q(undefined, 'older'), cursor: undefined, direction: 'older' },
      { name: 'middle (cursor)', query: q(middle, 'older'), cursor: middle, direction: 'older' },
      { name: 'oldest page', query: q(oldestPage, 'older'), cursor: oldestPage, direction: 'older' },
      { name: 'newer: first', query: q(undefined, 'newer'), cursor: undefined, direction: 'newer' },
      { name: 'newer: from middle', query: q(middle, 'newer'), cursor: middle, direction: 'newer' },
    ],
  };
}

async function historySection(): Promise<void> {
  console.log(
    `\n== 3. Chat history: GET /devices/{id}/chats/{chat}/messages?limit=${PAGE} (app.inject, auth included) at 10 thousand and ${ROWS.toLocaleString('en-US')} stored messages`,
  );
  console.log(
    `10k: one device, one chat holding all 10,000. ${ROWS.toLocaleString('en-US')}: 10 devices; of device 0, chat A holds every ${Math.floor(ROWS / 10_000)}th message (~10,000), chat B every 10th (~${(ROWS / 10).toLocaleString('en-US')}),`,
  );
  console.log(
    `chat C every 1,000th (~${(ROWS / 1000).toLocaleString('en-US')}); the rest spread at random over 97 other chats of each device; all interleaved in time (ids from newId(), increasing).`,
  );
  console.log(`Mix: 60% sent texts, 35% received, 4% reactions, 1% edits`);
  console.log(
    `(reactions and edits are not listed, so a page reads a few more index entries). Bulk fill on a second connection; PostgreSQL: ANALYZE after the fill, SQLite: none (WUTS runs none).`,
  );
  console.log(
    `${SAMPLES} requests per page kind and case, in 5 rounds alternating the cases, after 20 unmeasured; "query" = the repository call alone (repo.chatHistory), same arguments.`,
  );
  const rows: string[][] = [['database', 'stored', 'chat', 'fill s', 'rows/s', 'page', 'HTTP p50 ms', 'p99 ms', 'query p50 ms', 'p99 ms']];
  const summary: string[] = [];
  const plans: string[] = [];
  for (const [kind, label] of kinds()) {
    const cases: HistoryCase[] = [];
    try {
      const small = await fillHistory(kind, 10_000, 1);
      const big = await fillHistory(kind, ROWS, 10);
      const mk = async (name: string, f: typeof small, stored: number, chatJid: string) => {
        const c = { name, w: f.w, token: f.token, tenantId: f.tenantId, deviceId: f.deviceIds[0]!, chatJid, stored, fillMs: f.fillMs };
        return { ...c, ...(await pagesOf(c)) };
      };
      cases.push(await mk('10k', small, 10_000, CHAT_A(0)));
      cases.push(await mk(`${ROWS / 1e6}M`, big, ROWS, CHAT_A(0)));
      cases.push(await mk(`${ROWS / 1e6}M`, big, ROWS, CHAT_B));
      cases.push(await mk(`${ROWS / 1e6}M`, big, ROWS, CHAT_C));

      const http = new Map<string, number[]>();
      const query = new Map<string, number[]>();
      const key = (c: number, p: number) => `${c}|${p}`;
      const one = async (c: HistoryCase, p: HistoryCase['pages'][number], k: string, measure: boolean) => {
        let t = performance.now();
        const res = await c.w.app.inject({ method: 'GET', url: p.query, headers: { authorization: `Bearer ${c.token}` } });
        if (measure) http.get(k)!.push(performance.now() - t);
        if (res.statusCode !== 200) throw new Error(`${p.query}: ${res.statusCode} ${res.body}`);
        t = performance.now();
        await repo.chatHistory(c.w.db.kysely, c.tenantId, c.deviceId, c.chatJid, p.cursor, PAGE, p.direction);
        if (measure) query.get(k)!.push(performance.now() - t);
      };
      for (const [ci, c] of cases.entries()) {
        for (const [pi, p] of c.pages.entries()) {
          http.set(key(ci, pi), []);
          query.set(key(ci, pi), []);
          const first = await c.w.app.inject({ method: 'GET', url: p.query, headers: { authorization: `Bearer ${c.token}` } });
          const n = (first.json() as { messages: unknown[] }).messages?.length;
          if (first.statusCode !== 200 || n !== PAGE) throw new Error(`${c.name} ${p.name}: ${first.statusCode}, ${n} messages`);
          for (let i = 0; i < 20; i++) await one(c, p, key(ci, pi), false);
        }
      }
      for (let round = 0; round < 5; round++) {
        for (const [ci, c] of cases.entries())
          for (const [pi, p] of c.pages.entries()) for (let i = 0; i < SAMPLES / 5; i++) await one(c, p, key(ci, pi), true);
      }
      const pooled = (ci: number, from: Map<string, number[]>) => cases[ci]!.pages.flatMap((_, pi) => from.get(key(ci, pi))!);
      for (const [ci, c] of cases.entries()) {
        const chat = `${chatName(c.chatJid)} (${c.chatRows.toLocaleString('en-US')} listed)`;
        for (const [pi, p] of c.pages.entries()) {
          const h = latency(http.get(key(ci, pi))!);
          const qy = latency(query.get(key(ci, pi))!);
          rows.push([
            pi === 0 ? label : '',
            pi === 0 ? c.stored.toLocaleString('en-US') : '',
            pi === 0 ? chat : '',
            pi === 0 && ci < 2 ? fmt(c.fillMs / 1000, 1) : '',
            pi === 0 && ci < 2 ? fmt(c.stored / (c.fillMs / 1000)) : '',
            p.name,
            fmt(h.p50, 2),
            fmt(h.p99, 2),
            fmt(qy.p50, 2),
            fmt(qy.p99, 2),
          ]);
        }
        const h = latency(pooled(ci, http));
        const qy = latency(pooled(ci, query));
        rows.push(['', '', '', '', '', 'all pages', fmt(h.p50, 2), fmt(h.p99, 2), fmt(qy.p50, 2), fmt(qy.p99, 2)]);
      }
      const base = latency(pooled(0, http)).p99;
      const baseQ = latency(pooled(0, query)).p99;
      for (const ci of [1, 2, 3]) {
        const c = cases[ci]!;
        const r = latency(pooled(ci, http)).p99 / base;
        const rq = latency(pooled(ci, query)).p99 / baseQ;
        const worst = Math.max(...c.pages.map((_, pi) => latency(http.get(key(ci, pi))!).p99 / latency(http.get(key(0, pi))!).p99));
        const worstQ = Math.max(...c.pages.map((_, pi) => latency(query.get(key(ci, pi))!).p99 / latency(query.get(key(0, pi))!).p99));
        const verdict = (x: number) => (x <= 1.5 ? 'met' : 'missed');
        summary.push(
          `${label}, ${c.stored.toLocaleString('en-US')} stored, chat ${chatName(c.chatJid)} (${c.chatRows.toLocaleString('en-US')} listed), p99 against 10k (goal <= 1.5x): HTTP ${fmt(r, 2)}x over all pages (${verdict(r)}), worst page kind ${fmt(worst, 2)}x (${verdict(worst)}); query alone ${fmt(rq, 2)}x, worst ${fmt(worstQ, 2)}x`,
        );
      }
      // the plans of the newest-page and middle-page queries (chat A) on the large database
      const big0 = cases[1]!;
      for (const page of [big0.pages[0]!, big0.pages[1]!]) {
        let q = big0.w.db.kysely
          .selectFrom('messages')
          .selectAll()
          .where('tenant_id', '=', big0.tenantId)
          .where('device_id', '=', big0.deviceId)
          .where('chat_jid', '=', big0.chatJid)
          .where('type', 'not in', ['edit', 'delete']);
        if (page.cursor) q = q.where('id', '<', page.cursor);
        const compiled = q
          .orderBy('id', 'desc')
          .limit(PAGE + 1)
          .compile();
        const explain = kind === 'sqlite' ? 'explain query plan ' : 'explain (analyze, buffers, costs off) ';
        const plan = await big0.w.db.kysely.executeQuery(CompiledQuery.raw(explain + compiled.sql, [...compiled.parameters]));
        plans.push(`${label}, ${page.name} of chat A, ${ROWS.toLocaleString('en-US')} stored (repo.chatHistory's query):`);
        for (const r of plan.rows as Record<string, unknown>[]) plans.push(`  ${String(r['QUERY PLAN'] ?? r.detail ?? JSON.stringify(r))}`);
      }
    } finally {
      for (const w of new Set(cases.map((c) => c.w))) await w.close();
    }
  }
  console.log('');
  console.log(table(rows, 6));
  console.log('');
  for (const s of summary) console.log(s);
  console.log('');
  for (const p of plans) console.log(p);
}

// =============================================================================================

async function main(): Promise<void> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `WUTS messages benchmark, ${new Date().toISOString()}; Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${load}`,
  );
  console.log(
    `databases: SQLite (temporary directory)${PG_URL ? `, PostgreSQL (a scratch database on ${new URL(PG_URL).host}, dropped after each use)` : ' only (PostgreSQL: --pg or WUTS_BENCH_DATABASE_URL)'}`,
  );
  const started = performance.now();
  if (ONLY.has('accept')) await acceptSection();
  if (ONLY.has('e2e')) await e2eSection();
  if (ONLY.has('history')) await historySection();
  console.log(
    `\ndone in ${fmt((performance.now() - started) / 1000)} s; load average now ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
process.exit(0);
