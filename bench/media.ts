// Benchmark of media messages (the media issue's): WUTS's memory while it sends and receives a
// 100 MB document, and images per second end to end against a bare Baileys client.
//
// WUTS runs in a child process of its own (bench/media-server.ts, `--expose-gc`), so that its RSS
// is WUTS's alone: this process holds the HTTP client, the generated files and the bare Baileys
// clients; the emulator (`wuts emulator --port 0 --state <tmp>`, its media blobs on disk) is a
// third process. The child reports process.memoryUsage() every 100 ms over IPC; growth is the
// peak of a run over the idle process just before it (three full GCs 1 s apart, then the median
// of 2 s of samples).
//
//  1. Sending 100 MB: a document generated on the fly (random bytes, 1 MiB chunks, hashed as
//     they go; never held whole here) streamed to POST /media over a real HTTP port, sent by id
//     (POST /devices/{id}/messages, type document) to an emulator account; until that account's
//     phone has downloaded it (admin API: the received record, media.state `downloaded`, the
//     same SHA-256).
//  2. Receiving 100 MB: a bare Baileys companion of the peer account (linked to the emulator,
//     uploading through mediaTrust) sends a generated 100 MB document to WUTS's number; until
//     WUTS has stored the file (content.media.state `stored`) and GET /messages/{id}/media,
//     read back over HTTP, has the same SHA-256.
//  3. Images: N JPEGs of ~200 KB (random noise made with sharp, all different) POSTed inline
//     (media.data, base64) by 8 clients, queue at sendIntervalMs 0 and jitter 0, until the peer's
//     admin API shows all N received (and downloaded); beside it a bare Baileys client linked to
//     another account sends the same N images to the same peer, one at a time, awaiting each
//     server ack. Ratio = WUTS's images/s over the bare client's.
//
// Build and run: npm run build && node dist/bench/media.js [options]
//   --pg              PostgreSQL too: WUTS_BENCH_DATABASE_URL, WUTS_TEST_DATABASE_URL or
//                     postgres://postgres@127.0.0.1:5432/test (either variable alone turns it on)
//   --only LIST       send,receive,images (default: all three)
//   --db LIST         sqlite,postgres: only these of the databases above
//   WUTS_BENCH_LOG_LEVEL=error  WUTS's log (its child's stdout) at that level; silent by default
//   --mb N            size of the big document in MB of 10^6 bytes (default 100, at most 104)
//   --images N        images in the throughput run (default 200, at most 400)
//   --by upload       images sent by id after POST /media instead of inline base64
//   --profile         a V8 CPU profile of the WUTS child during its images run (marked as such:
//                     the profiler slows it), summarised by package and function
// Figures, never pass/fail; goals are printed beside them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { Pool, request } from 'undici';
import type { WASocket } from '@whiskeysockets/baileys';
import { EmulatorAdminClient } from '@wuts/wa-emulator';
import { mediaTrust } from '@wuts/wa-emulator/media-trust';
import { linkBareClient, until } from './bare-client.js';
import { emulatorApi, spawnEmulator, type EmulatorChild } from './emulator-child.js';
import { DEFAULT_PG_URL, LABEL, fmt, table, withTimeout, type Kind } from './messages-common.js';
import type { ProfileSummary } from './cpu-profile.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_JS = path.join(HERE, 'media-server.js');

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const num = (name: string, fallback: number, min: number, max: number) => Math.min(max, Math.max(min, Number(opt(name)) || fallback));
const ENV_PG = process.env.WUTS_BENCH_DATABASE_URL || process.env.WUTS_TEST_DATABASE_URL || undefined;
const PG_URL = ENV_PG ?? (argv.includes('--pg') ? DEFAULT_PG_URL : undefined);
const KINDS: Kind[] = (PG_URL ? ['sqlite', 'postgres'] : ['sqlite']).filter((k) => !opt('--db') || opt('--db')!.split(',').includes(k)) as Kind[];
const ONLY = new Set((opt('--only') ?? 'send,receive,images').split(','));
const BIG_BYTES = num('--mb', 100, 1, 104) * 1_000_000;
const IMAGES = num('--images', 200, 10, 400);
const BY_UPLOAD = opt('--by') === 'upload';
const PROFILE = argv.includes('--profile');
const CLIENTS = 8;
const MB = 1_000_000;
const MIB = 1_048_576;
const GOAL_MB = 32;

const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const mib = (bytes: number) => fmt(bytes / MIB, 1);

// =============================================================================================
// the WUTS child

interface MemSample {
  t: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface WutsChild {
  url: string;
  token: string;
  deviceId: string;
  samples: MemSample[];
  /** full GCs in the child, then 2 s of samples: the idle figures (medians) */
  idle(): Promise<MemSample>;
  call<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  profileStart(): Promise<void>;
  profileStop(): Promise<ProfileSummary>;
  finish(): Promise<void>;
}

async function startWuts(kind: Kind, emu: EmulatorChild, mediaHost: string, caFile: string): Promise<WutsChild> {
  const args = [
    '--expose-gc',
    SERVER_JS,
    '--kind',
    kind,
    ...(PG_URL ? ['--pg-url', PG_URL] : []),
    '--ws-url',
    emu.wsUrl,
    '--media-host',
    mediaHost,
    '--ca-file',
    caFile,
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const samples: MemSample[] = [];
  child.on('message', (m: { type: string } & MemSample) => {
    if (m.type === 'mem') samples.push(m);
  });
  const next = <T>(type: string, ms: number) =>
    withTimeout(
      new Promise<T>((resolve, reject) => {
        const onMessage = (m: { type: string }) => {
          if (m.type !== type) return;
          child.off('message', onMessage);
          resolve(m as T);
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`the WUTS child exited (${code}) before '${type}'`)));
      }),
      ms,
      `the WUTS child's '${type}'`,
    );
  const ready = await next<{ url: string; token: string; deviceId: string }>('ready', 120_000);
  const pool = new Pool(ready.url, { connections: CLIENTS });
  const call = async <T>(method: 'GET' | 'POST', p: string, body?: unknown) => {
    const res = await pool.request({
      method,
      path: p,
      headers: { authorization: `Bearer ${ready.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, body: (await res.body.json()) as T };
  };
  return {
    ...ready,
    samples,
    call,
    idle: async () => {
      child.send({ type: 'settle' });
      await next('settled', 40_000);
      const from = Date.now();
      await sleep(2000);
      const window = samples.filter((s) => s.t >= from);
      const median = (k: keyof MemSample) => {
        const v = window.map((s) => s[k]).sort((a, b) => a - b);
        return v[Math.floor(v.length / 2)]!;
      };
      return {
        t: from,
        rss: median('rss'),
        heapUsed: median('heapUsed'),
        heapTotal: median('heapTotal'),
        external: median('external'),
        arrayBuffers: median('arrayBuffers'),
      };
    },
    profileStart: async () => {
      child.send({ type: 'profile-start' });
      await next('profiling', 10_000);
    },
    profileStop: async () => {
      child.send({ type: 'profile-stop' });
      return (await next<{ summary: ProfileSummary }>('profile', 60_000)).summary;
    },
    finish: async () => {
      await pool.close();
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ type: 'finish' });
      await withTimeout(exited, 30_000, 'the WUTS child to exit').catch(() => child.kill('SIGKILL'));
      process.off('exit', killOnExit);
    },
  };
}

/** The peak of each measure between two instants (ms since the epoch), and the largest gap between samples. */
function peaks(samples: MemSample[], from: number, to: number) {
  let w = samples.filter((s) => s.t >= from && s.t <= to);
  // a phase shorter than the period: the sample just after it
  if (w.length === 0) w = samples.filter((s) => s.t >= from).slice(0, 1);
  const top = (k: keyof MemSample) => Math.max(...w.map((s) => s[k]));
  const atRss = w.reduce((a, s) => (s.rss > a.rss ? s : a), w[0]!);
  let gap = 0;
  for (let i = 1; i < w.length; i++) gap = Math.max(gap, w[i]!.t - w[i - 1]!.t);
  return { n: w.length, gap, rss: top('rss'), heapUsed: top('heapUsed'), external: top('external'), arrayBuffers: top('arrayBuffers'), atRss };
}

// =============================================================================================
// files

/** `size` random bytes in 1 MiB chunks, made as they are read (with backpressure), hashed on the way. */
function generatedFile(size: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let digest: string | undefined;
  async function* chunks() {
    for (let left = size; left > 0; left -= MIB) {
      const chunk = randomBytes(Math.min(MIB, left));
      hash.update(chunk);
      yield chunk;
    }
    digest = hash.digest('hex');
  }
  return {
    stream: Readable.from(chunks(), { objectMode: false }),
    sha256: () => {
      if (!digest) throw new Error('the generated file was not read to its end');
      return digest;
    },
  };
}

/** Random-noise JPEGs (600×600 from 200×200 noise, quality 92): ~200 KB each, all different, valid for sharp and Baileys' thumbnails. */
async function makeJpegs(n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await sharp(randomBytes(200 * 200 * 3), { raw: { width: 200, height: 200, channels: 3 } })
        .resize(600, 600)
        .jpeg({ quality: 92 })
        .toBuffer(),
    );
  }
  return out;
}

// =============================================================================================
// emulator side

interface ReceivedRecord {
  id: string;
  type: string;
  media?: { state: string; sha256?: string; size?: number; error?: string };
}

const received = async (emu: EmulatorChild, phone: string) =>
  (await emulatorApi<{ received: ReceivedRecord[] }>(emu.url, 'GET', `/admin/accounts/${phone}/messages?limit=500`)).received;

/** A bare Baileys client linked to `phone` as a companion, trusting the emulator's media host. */
async function baileysClient(emu: EmulatorChild, phone: string, trust: ReturnType<typeof mediaTrust>) {
  /** jpegThumbnail sizes of the images this client received, by message id */
  const thumbnails = new Map<string, number>();
  const client = await linkBareClient(emu, phone, {
    defaultQueryTimeoutMs: 60_000,
    fetchAgent: trust.fetchAgent,
    onSocket: (sock) =>
      sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) {
          const image = m.message?.imageMessage;
          if (image && m.key.id) thumbnails.set(m.key.id, image.jpegThumbnail?.length ?? 0);
        }
      }),
  });
  /** Sends and waits for the server's ack of this message. */
  const sendAcked = async (to: string, content: Parameters<WASocket['sendMessage']>[1], ackMs = 60_000) => {
    const id = `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
    const acked = new Promise<void>((r) => client.onAck.set(id, r));
    await client.sock().sendMessage(jid(to), content, { messageId: id });
    await withTimeout(acked, ackMs, `ack of ${id}`);
    client.onAck.delete(id);
    return id;
  };
  return { sock: client.sock, sendAcked, thumbnails, end: client.end };
}

type Bare = Awaited<ReturnType<typeof baileysClient>>;

// =============================================================================================
// the runs

interface Row {
  cells: string[];
  notes: string[];
}

/** Connects WUTS's device over HTTP and links it to `phone` by QR. */
async function linkWuts(w: WutsChild, emu: EmulatorChild, phone: string): Promise<void> {
  const connect = await w.call<{ qr: { text: string } }>('POST', `/devices/${w.deviceId}/connect`, {});
  if (connect.status !== 200) throw new Error(`connect: ${connect.status} ${JSON.stringify(connect.body)}`);
  await emulatorApi(emu.url, 'POST', '/admin/link', { qr: connect.body.qr.text, phone });
  await until(
    'device connected',
    30_000,
    async () => (await w.call<{ device: { status: string } }>('GET', `/devices/${w.deviceId}`)).body.device.status === 'connected',
    50,
  );
}

async function uploadStream(w: WutsChild, body: Readable, size: number, filename: string): Promise<{ id: string; sha256: string; size: number }> {
  const res = await request(`${w.url}/media?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body,
  });
  const json = (await res.body.json()) as { media?: { id: string; sha256: string; size: number } };
  if (res.statusCode !== 201 || !json.media) throw new Error(`POST /media: ${res.statusCode} ${JSON.stringify(json)}`);
  return json.media;
}

async function sendMessage(w: WutsChild, body: Record<string, unknown>): Promise<{ id: string; wa_id: string }> {
  const res = await w.call<{ message?: { id: string; wa_id: string } }>('POST', `/devices/${w.deviceId}/messages`, body);
  if (res.status !== 202 || !res.body.message) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message;
}

const messageOf = async (w: WutsChild, id: string) =>
  (await w.call<{ message: { status: string; wa_id: string; content: { media?: { state: string; sha256?: string } } } }>('GET', `/messages/${id}`)).body
    .message;

/** The message WUTS stored for a WhatsApp id received in the chat with `peer`. */
async function receivedInWuts(w: WutsChild, peer: string, waId: string, ms: number): Promise<{ id: string }> {
  return until(
    `WUTS stored the message ${waId}`,
    ms,
    async () => {
      const res = await w.call<{ messages: { id: string; wa_id: string }[] }>('GET', `/devices/${w.deviceId}/chats/${peer}/messages?limit=20`);
      return res.body.messages?.find((m) => m.wa_id === waId);
    },
    100,
  );
}

/** GET /messages/{id}/media over HTTP, hashed as it streams. */
async function readBack(w: WutsChild, id: string): Promise<{ sha256: string; size: number }> {
  const res = await request(`${w.url}/messages/${id}/media`, { headers: { authorization: `Bearer ${w.token}` } });
  if (res.statusCode !== 200) throw new Error(`GET /messages/${id}/media: ${res.statusCode} ${await res.body.text()}`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Memory columns of a run: peak RSS over idle (and the goal), heap used, external and ArrayBuffers at their peaks over idle. */
function memCells(idle: MemSample, p: ReturnType<typeof peaks>): string[] {
  const growth = p.rss - idle.rss;
  return [
    mib(idle.rss),
    mib(p.rss),
    mib(growth),
    growth / MIB < GOAL_MB ? 'met' : 'missed',
    mib(p.heapUsed - idle.heapUsed),
    mib(p.external - idle.external),
    mib(p.arrayBuffers - idle.arrayBuffers),
    `${p.n} / ${p.gap}`,
  ];
}

const MEM_HEADER = ['idle RSS MiB', 'peak RSS MiB', 'growth MiB', `< ${GOAL_MB} MiB`, 'heapUsed +', 'external +', 'arrayBuffers +', 'samples / max gap ms'];

/** Warm-up: a text, a small document and an image each way, so that sessions, number checks, sharp, the downloader and the store are loaded before the idle baseline. */
async function warmUp(w: WutsChild, emu: EmulatorChild, peer: string, peerCompanion: Bare, phone: string, jpeg: Buffer): Promise<void> {
  const text = await sendMessage(w, { type: 'text', to: peer, text: 'warm-up' });
  await until('warm-up text delivered', 30_000, async () => ['delivered', 'read'].includes((await messageOf(w, text.id)).status), 100);
  const small = generatedFile(MIB);
  const up = await uploadStream(w, small.stream, MIB, 'warm-up.bin');
  const doc = await sendMessage(w, { type: 'document', to: peer, media: { id: up.id }, filename: 'warm-up.bin' });
  const img = await sendMessage(w, { type: 'image', to: peer, media: { data: jpeg.toString('base64') } });
  for (const m of [doc, img])
    await until(
      'warm-up media downloaded by the peer',
      60_000,
      async () => (await received(emu, peer)).find((r) => r.id === m.wa_id && r.media?.state === 'downloaded'),
      100,
    );
  const inDoc = generatedFile(MIB);
  const waId = await peerCompanion.sendAcked(phone, { document: { stream: inDoc.stream }, mimetype: 'application/octet-stream', fileName: 'warm-up-in.bin' });
  const stored = await receivedInWuts(w, peer, waId, 30_000);
  await until('warm-up media stored by WUTS', 30_000, async () => (await messageOf(w, stored.id)).content.media?.state === 'stored', 100);
  const back = await readBack(w, stored.id);
  if (back.sha256 !== inDoc.sha256()) throw new Error('warm-up: the received document read back differs');
}

async function sendBig(w: WutsChild, emu: EmulatorChild, peer: string): Promise<Row> {
  const idle = await w.idle();
  const file = generatedFile(BIG_BYTES);
  const t0 = Date.now();
  const up = await uploadStream(w, file.stream, BIG_BYTES, 'bench-100mb.bin');
  const t1 = Date.now();
  const notes: string[] = [];
  if (up.sha256 !== file.sha256() || up.size !== BIG_BYTES) notes.push(`POST /media answered sha256 ${up.sha256}, size ${up.size}: not the file sent`);
  const msg = await sendMessage(w, { type: 'document', to: peer, media: { id: up.id }, filename: 'bench-100mb.bin', caption: 'the big one' });
  const t2 = Date.now();
  let sentAt = 0;
  let seenAt = 0;
  let status = '';
  const got = await until(
    'the peer downloaded the 100 MB document',
    300_000,
    async () => {
      if (!sentAt) {
        status = (await messageOf(w, msg.id)).status;
        if (['sent', 'delivered', 'read'].includes(status)) sentAt = Date.now();
        if (status === 'failed') throw new Error(`WUTS reports the 100 MB document failed`);
      }
      const r = (await received(emu, peer)).find((m) => m.id === msg.wa_id);
      if (r && !seenAt) seenAt = Date.now();
      if (r?.media?.state === 'failed') throw new Error(`the peer's download failed: ${r.media.error}`);
      return r?.media?.state === 'downloaded' ? r : undefined;
    },
    200,
  );
  const t3 = Date.now();
  sentAt ||= t3;
  if (got.media?.sha256 !== file.sha256()) notes.push(`the peer's file has sha256 ${got.media?.sha256}, not ${file.sha256()}`);
  await sleep(300); // a last sample or two after the end
  const all = peaks(w.samples, t0, t3);
  const upload = peaks(w.samples, t0, t1);
  const sending = peaks(w.samples, t1, sentAt);
  notes.push(
    `phases: POST /media ${fmt((t1 - t0) / 1000, 1)} s (${fmt(BIG_BYTES / MB / ((t1 - t0) / 1000))} MB/s, peak RSS +${mib(upload.rss - idle.rss)} MiB, arrayBuffers +${mib(upload.arrayBuffers - idle.arrayBuffers)} MiB); ` +
      `accepted -> 'sent' ${fmt((sentAt - t2) / 1000, 1)} s (encrypt, upload to the media host, relay; peak RSS +${mib(sending.rss - idle.rss)} MiB, arrayBuffers +${mib(sending.arrayBuffers - idle.arrayBuffers)} MiB); ` +
      `'sent' -> the peer's phone has downloaded it ${fmt((t3 - sentAt) / 1000, 1)} s (the message record appeared after ${fmt((seenAt - t2) / 1000, 1)} s)`,
  );
  notes.push(
    `at the RSS peak: heapUsed ${mib(all.atRss.heapUsed)} MiB (idle ${mib(idle.heapUsed)}), external ${mib(all.atRss.external)} MiB (idle ${mib(idle.external)}), arrayBuffers ${mib(all.atRss.arrayBuffers)} MiB (idle ${mib(idle.arrayBuffers)})`,
  );
  return {
    cells: [`send ${BIG_BYTES / MB} MB document`, got.media?.sha256 === file.sha256() ? 'same' : 'DIFFERS', fmt((t3 - t0) / 1000, 1), ...memCells(idle, all)],
    notes,
  };
}

async function receiveBig(w: WutsChild, emu: EmulatorChild, peer: string, peerCompanion: Bare, phone: string): Promise<Row> {
  const idle = await w.idle();
  const file = generatedFile(BIG_BYTES);
  const t0 = Date.now();
  const waId = await peerCompanion.sendAcked(
    phone,
    { document: { stream: file.stream }, mimetype: 'application/octet-stream', fileName: 'bench-100mb-in.bin', caption: 'the big one, back' },
    300_000,
  );
  const t1 = Date.now();
  const stored = await receivedInWuts(w, peer, waId, 60_000);
  const t2 = Date.now();
  let state = '';
  await until(
    'WUTS stored the 100 MB document',
    300_000,
    async () => {
      state = (await messageOf(w, stored.id)).content.media?.state ?? '';
      if (state === 'failed') throw new Error('WUTS reports the download of the 100 MB document failed');
      return state === 'stored';
    },
    200,
  );
  const t3 = Date.now();
  const back = await readBack(w, stored.id);
  const t4 = Date.now();
  await sleep(300);
  const notes: string[] = [];
  const same = back.sha256 === file.sha256() && back.size === BIG_BYTES;
  if (!same) notes.push(`read back: sha256 ${back.sha256}, ${back.size} bytes; sent ${file.sha256()}, ${BIG_BYTES} bytes`);
  const all = peaks(w.samples, t0, t4);
  const download = peaks(w.samples, t1, t3);
  const read = peaks(w.samples, t3, t4);
  notes.push(
    `phases: the companion encrypts, uploads and sends (this process) ${fmt((t1 - t0) / 1000, 1)} s; ` +
      `-> WUTS lists the message ${fmt((t2 - t1) / 1000, 1)} s; -> file stored ${fmt((t3 - t2) / 1000, 1)} s (download, decrypt, store; peak RSS +${mib(download.rss - idle.rss)} MiB, arrayBuffers +${mib(download.arrayBuffers - idle.arrayBuffers)} MiB); ` +
      `GET /messages/{id}/media ${fmt((t4 - t3) / 1000, 1)} s (${fmt(BIG_BYTES / MB / ((t4 - t3) / 1000))} MB/s, peak RSS +${mib(read.rss - idle.rss)} MiB, arrayBuffers +${mib(read.arrayBuffers - idle.arrayBuffers)} MiB)`,
  );
  notes.push(
    `at the RSS peak: heapUsed ${mib(all.atRss.heapUsed)} MiB (idle ${mib(idle.heapUsed)}), external ${mib(all.atRss.external)} MiB (idle ${mib(idle.external)}), arrayBuffers ${mib(all.atRss.arrayBuffers)} MiB (idle ${mib(idle.arrayBuffers)})`,
  );
  return { cells: [`receive ${BIG_BYTES / MB} MB document`, same ? 'same' : 'DIFFERS', fmt((t4 - t0) / 1000, 1), ...memCells(idle, all)], notes };
}

interface Throughput {
  acceptedMs: number;
  atPeerMs: number;
  downloadedMs: number;
  atPeer: number;
  downloaded: number;
  ids: Set<string>;
  note?: string;
}

/** Waits until the peer's admin API lists all `ids` (received, then downloaded); times from `t0`. */
async function peerCounts(emu: EmulatorChild, peer: string, ids: Set<string>, t0: number): Promise<Omit<Throughput, 'acceptedMs'>> {
  let atPeerMs = NaN;
  let atPeer = 0;
  let downloaded = 0;
  let note: string | undefined;
  const deadline = Date.now() + 300_000;
  for (;;) {
    const recs = (await received(emu, peer)).filter((r) => ids.has(r.id));
    atPeer = recs.length;
    downloaded = recs.filter((r) => r.media?.state === 'downloaded').length;
    if (atPeer === ids.size && Number.isNaN(atPeerMs)) atPeerMs = Date.now() - t0;
    if (downloaded === ids.size) break;
    if (recs.some((r) => r.media?.state === 'failed')) note = 'some downloads at the peer failed';
    if (Date.now() > deadline) {
      note = `stopped after 300 s: ${atPeer} received, ${downloaded} downloaded`;
      break;
    }
    await sleep(200);
  }
  return { atPeerMs, downloadedMs: Date.now() - t0, atPeer, downloaded, ids, ...(note ? { note } : {}) };
}

async function wutsImages(w: WutsChild, emu: EmulatorChild, peer: string, jpegs: Buffer[]): Promise<Throughput> {
  const waIds = new Set<string>();
  const failures: string[] = [];
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < jpegs.length) {
        const i = next++;
        const jpeg = jpegs[i]!;
        let media: Record<string, string>;
        if (BY_UPLOAD) {
          const res = await request(`${w.url}/media`, {
            method: 'POST',
            headers: { authorization: `Bearer ${w.token}`, 'content-type': 'image/jpeg' },
            body: jpeg,
          });
          const json = (await res.body.json()) as { media: { id: string } };
          if (res.statusCode !== 201) throw new Error(`POST /media: ${res.statusCode} ${JSON.stringify(json)}`);
          media = { id: json.media.id };
        } else media = { data: jpeg.toString('base64') };
        // an answer other than 202 is counted and noted, and the same send is tried again (at most 3 times)
        for (let attempt = 1; ; attempt++) {
          const res = await w.call<{ message?: { wa_id: string } }>('POST', `/devices/${w.deviceId}/messages`, {
            type: 'image',
            to: peer,
            media,
            caption: `bench ${i}`,
          });
          if (res.status === 202 && res.body.message) {
            waIds.add(res.body.message.wa_id);
            break;
          }
          failures.push(`image ${i}, attempt ${attempt}: ${res.status} ${JSON.stringify(res.body)}`);
          if (attempt === 3) throw new Error(`send of image ${i} failed 3 times: ${failures.at(-1)}`);
        }
      }
    }),
  );
  const acceptedMs = Date.now() - t0;
  const counts = await peerCounts(emu, peer, waIds, t0);
  if (failures.length) counts.note = [counts.note, `${failures.length} POST(s) not accepted and sent again: ${failures.join('; ')}`].filter(Boolean).join('; ');
  return { acceptedMs, ...counts };
}

async function bareImages(client: Bare, emu: EmulatorChild, peer: string, jpegs: Buffer[]): Promise<Throughput> {
  const ids = new Set<string>();
  const t0 = Date.now();
  for (const [i, jpeg] of jpegs.entries()) ids.add(await client.sendAcked(peer, { image: jpeg, mimetype: 'image/jpeg', caption: `bare ${i}` }));
  const acceptedMs = Date.now() - t0;
  return { acceptedMs, ...(await peerCounts(emu, peer, ids, t0)) };
}

// =============================================================================================

async function main(): Promise<void> {
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `WUTS media benchmark, ${new Date().toISOString()}; Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${load()}`,
  );
  console.log(
    `databases: SQLite (temporary directory)${PG_URL ? `, PostgreSQL (a scratch database on ${new URL(PG_URL).host}, dropped after)` : ' only (PostgreSQL: --pg or WUTS_BENCH_DATABASE_URL)'}; ` +
      `WUTS in a child process (--expose-gc), RSS sampled every 100 ms; the emulator in another, media blobs on disk`,
  );
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-bench-media-'));
  const emu = await spawnEmulator(['--state', path.join(tmp, 'emu.json')]);
  const admin = new EmulatorAdminClient(emu.url);
  const caPem = await admin.mediaCaPem();
  const caFile = path.join(tmp, 'media-ca.pem');
  fs.writeFileSync(caFile, caPem);
  const mediaHost = new URL((await admin.info()).media_url).host;
  const trust = mediaTrust(caPem);
  const jpegs = await makeJpegs(IMAGES + 1);
  const warmJpeg = jpegs.pop()!;
  const sizes = jpegs.map((j) => j.length);
  console.log(
    `images: ${IMAGES} JPEGs 600×600 (noise), ${fmt(Math.min(...sizes) / 1000)}–${fmt(Math.max(...sizes) / 1000)} KB, mean ${fmt(sizes.reduce((a, b) => a + b, 0) / sizes.length / 1000)} KB; ` +
      `WUTS sends them ${BY_UPLOAD ? 'by id after POST /media' : 'inline (media.data, base64)'}`,
  );

  const memRows: string[][] = [['database', 'run', 'file', 'total s', ...MEM_HEADER]];
  const imgRows: string[][] = [
    ['database', 'sender', 'at peer', 'downloaded', 'all accepted s', 'all at peer s', 'all downloaded s', 'images/s', 'vs bare', 'WUTS RSS growth MiB'],
  ];
  const notes: string[] = [];
  const summary: string[] = [];
  const profiles: { label: string; summary: ProfileSummary }[] = [];
  try {
    let n = 0;
    for (const kind of KINDS) {
      const label = LABEL[kind];
      const phone = String(15553770001 + 10 * n);
      const peer = String(15553770002 + 10 * n);
      const direct = String(15553770003 + 10 * n);
      n++;
      for (const [p, name] of [
        [phone, 'WUTS'],
        [peer, 'Peer'],
        [direct, 'Direct'],
      ] as const)
        await emulatorApi(emu.url, 'POST', '/admin/accounts', { phone: p, name });
      const w = await startWuts(kind, emu, mediaHost, caFile);
      const clients: Bare[] = [];
      try {
        await linkWuts(w, emu, phone);
        const peerCompanion = await baileysClient(emu, peer, trust);
        clients.push(peerCompanion);
        await warmUp(w, emu, peer, peerCompanion, phone, warmJpeg);
        console.log(`${label}: WUTS linked and warmed up (${fmt((Date.now() - started) / 1000)} s)`);
        if (ONLY.has('send')) {
          const r = await sendBig(w, emu, peer);
          memRows.push([label, ...r.cells]);
          notes.push(...r.notes.map((x) => `${label} send: ${x}`));
          console.log(`${label}: send done (${fmt((Date.now() - started) / 1000)} s)`);
        }
        if (ONLY.has('receive')) {
          const r = await receiveBig(w, emu, peer, peerCompanion, phone);
          memRows.push([label, ...r.cells]);
          notes.push(...r.notes.map((x) => `${label} receive: ${x}`));
          console.log(`${label}: receive done (${fmt((Date.now() - started) / 1000)} s)`);
        }
        if (ONLY.has('images')) {
          const bare = await baileysClient(emu, direct, trust);
          clients.push(bare);
          await bare.sendAcked(peer, { image: warmJpeg, mimetype: 'image/jpeg' });
          const idle = await w.idle();
          if (PROFILE) await w.profileStart();
          const t0 = Date.now();
          const wuts = await wutsImages(w, emu, peer, jpegs);
          await sleep(300);
          const p = peaks(w.samples, t0, Date.now());
          if (PROFILE) profiles.push({ label, summary: await w.profileStop() });
          // this process's own RSS while the bare client sends (it also holds the peer's companion)
          (globalThis as { gc?: () => void }).gc?.();
          await sleep(1000);
          const own: number[] = [];
          const ownIdle = process.memoryUsage().rss;
          const ownTimer = setInterval(() => own.push(process.memoryUsage().rss), 100);
          const direct_ = await bareImages(bare, emu, peer, jpegs);
          clearInterval(ownTimer);
          notes.push(
            `${label} images: this process's RSS (the bare client, the peer's companion, the bench) grew by ${mib(Math.max(...own) - ownIdle)} MiB while the bare client sent (WUTS's child: ${mib(p.rss - idle.rss)} MiB)`,
          );
          const wRate = (1000 * wuts.atPeer) / wuts.atPeerMs;
          const bRate = (1000 * direct_.atPeer) / direct_.atPeerMs;
          const thumbs = (ids: Set<string>) => {
            const t = [...peerCompanion.thumbnails.entries()].filter(([id]) => ids.has(id)).map(([, len]) => len);
            return `${t.filter((x) => x > 0).length}/${t.length} with a jpegThumbnail (mean ${fmt(t.reduce((a, b) => a + b, 0) / Math.max(1, t.length))} bytes)`;
          };
          imgRows.push([
            label,
            `WUTS (${BY_UPLOAD ? 'POST /media + send by id' : 'inline base64'}, 8 clients, queue)`,
            `${wuts.atPeer}/${IMAGES}`,
            `${wuts.downloaded}/${IMAGES}`,
            fmt(wuts.acceptedMs / 1000, 1),
            fmt(wuts.atPeerMs / 1000, 1),
            fmt(wuts.downloadedMs / 1000, 1),
            fmt(wRate, 1),
            `${fmt(wRate / bRate, 2)}${PROFILE ? ' (profiled)' : ''}`,
            `${mib(p.rss - idle.rss)} (heap +${mib(p.heapUsed - idle.heapUsed)})`,
          ]);
          imgRows.push([
            '',
            'bare Baileys, one at a time, awaiting each ack',
            `${direct_.atPeer}/${IMAGES}`,
            `${direct_.downloaded}/${IMAGES}`,
            fmt(direct_.acceptedMs / 1000, 1),
            fmt(direct_.atPeerMs / 1000, 1),
            fmt(direct_.downloadedMs / 1000, 1),
            fmt(bRate, 1),
            '-',
            '-',
          ]);
          if (wuts.note) notes.push(`${label} WUTS images: ${wuts.note}`);
          if (direct_.note) notes.push(`${label} bare images: ${direct_.note}`);
          notes.push(`${label} images as the peer's companion decrypted them: from WUTS ${thumbs(wuts.ids)}; from the bare client ${thumbs(direct_.ids)}`);
          summary.push(
            `${label}: WUTS ${fmt(wRate, 1)} images/s against the bare client's ${fmt(bRate, 1)} = ${fmt(wRate / bRate, 2)} (goal >= 0.8: ${wRate / bRate >= 0.8 ? 'met' : 'missed'})`,
          );
        }
      } finally {
        for (const c of clients) c.end();
        await w.finish();
      }
    }
  } finally {
    await emu.close();
    await trust.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  if (memRows.length > 1) {
    console.log(`\n== Memory of the WUTS process while it sends / receives a ${BIG_BYTES / MB} MB document (MiB of 2^20 bytes; goal: growth < ${GOAL_MB} MiB)`);
    console.log(table(memRows, 3));
    for (const r of memRows.slice(1)) {
      const g = Number(r[6]);
      summary.unshift(`${r[0]}, ${r[1]}: peak RSS ${r[6]} MiB over idle (goal < ${GOAL_MB} MiB: ${g < GOAL_MB ? 'met' : 'missed'}), SHA-256 ${r[2]}`);
    }
  }
  if (imgRows.length > 1) {
    console.log(`\n== ${IMAGES} images of ~200 KB end to end through the emulator (images/s: all received at the peer, by its admin API, polled every 200 ms)`);
    console.log(table(imgRows, 2));
  }
  console.log('');
  for (const note of notes) console.log(`note: ${note}`);
  for (const { label, summary: p } of profiles) {
    console.log(`\n${label}: CPU profile of the WUTS child during its images run: busy ${fmt(p.busyMs)} ms of ${fmt(p.wallMs)} ms`);
    console.log('  self time by where the code lives:');
    for (const c of p.categories) console.log(`    ${fmt((100 * c.ms) / p.busyMs, 1).padStart(5)}%  ${c.name}`);
    console.log('  hottest functions (self time):');
    for (const f of p.functions) console.log(`    ${fmt((100 * f.ms) / p.busyMs, 1).padStart(5)}%  ${f.name}`);
  }
  console.log('\nsummary:');
  for (const s of summary) console.log(`  ${s}`);
  console.log(`\ndone in ${fmt((Date.now() - started) / 1000)} s; load average now ${load()}`);
}

await main();
process.exit(0);
