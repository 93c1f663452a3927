// Crash test of the durable outbound message queue: the real `wuts serve` process (real Baileys
// provider, the WhatsApp emulator of @wuts/wa-emulator in this process) sends bursts of 30 texts from
// account A to account B and is killed with SIGKILL halfway through a burst; after a restart on
// the same data dir / database the device reconnects from its stored session (no QR, nobody calls
// connect), the queue resumes, and B's phone ends up with each message exactly once, in queue
// order, nothing else from A, every message `sent` or better in WUTS and none failed. Runs on
// SQLite, or on PostgreSQL when WUTS_TEST_DATABASE_URL is set. Needs the build (npx tsc -p
// tsconfig.json): it spawns dist, as test/webhooks/crash.test.ts does.
//
// One tenant, one device, one database for the whole file (booting WUTS and linking a device cost
// seconds each), and three kills, one per test, each with its own burst. WUTS always talks to the
// emulator through a TCP proxy in this process (test/messages/crash-helpers.ts; it forwards bytes
// untouched until a test freezes it): a session belongs to the WhatsApp endpoint it was linked on,
// so the device is linked through the proxy and stays on it.
//  1. "during the burst": nothing is frozen; SIGKILL as soon as 3 messages are
//     sent. The kill lands wherever the sender is: usually in the 150 ms pause between two sends,
//     sometimes with a send in flight. The test records which; it cannot choose.
//  2. "in flight, on the phone": once 3 messages are sent the
//     proxy stops passing the emulator's bytes to WUTS: the next message still leaves WUTS and
//     reaches B's phone, but the server's ack never comes back, so it stays `queued` in WUTS. The
//     test waits until the phone shows it, then kills. After the restart WUTS learns it went out
//     from B's delivery receipt, which the emulator keeps queued for WUTS's device until the device
//     acknowledges it and hands over at the next login, before the connection opens; so in practice
//     it is not sent again. Were it sent again, it would carry the same id and the phone keeps one
//     record per id (a resend of a stored key changes nothing: packages/wa-emulator/src/phone/phone-records.ts). Either
//     way the test requires one copy on the phone, and counts, in the emulator's traffic log, the
//     times WUTS sent that id after the restart (at most once).
//  3. "in flight, never received": the proxy stops passing WUTS's bytes to the emulator instead. The
//     sender writes the next message (the proxy sees exactly one WebSocket frame of a message's
//     size) and waits for an ack; the server never saw it. After the kill and the restart WUTS must
//     send it again, exactly once, under the WhatsApp id it was given when accepted.
//  4. "several in flight": the device's pace is 0, so the sender writes up to WUTS_SEND_WINDOW (4)
//     messages before their acks. The proxy stops passing WUTS's bytes before the burst: exactly
//     that many message frames are written and held, none reaches the server. After the kill and
//     the restart each of them is sent again exactly once, under its id, and the burst in order.
// What no test here can force: a message the phone stored whose receipt WUTS never gets, sent again
// and stored once by the phone's dedup; the emulator always queues the receipt (case 2).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/connect.js';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import { startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { PASSWORD } from '../helpers/factories.js';
import { startTcpProxy, type TcpProxy } from './crash-helpers.js';
import { api, ok } from '../helpers/http.js';

const MASTER = 'crash_test_master_' + randomBytes(24).toString('hex');
const N = 30;
const INTERVAL_MS = 150;
/** After the restart, everything is sent within this. */
const RECOVERY_BOUND_MS = 60_000;
const DONE = new Set(['sent', 'delivered', 'read']);
/** A WebSocket frame at least this big, written by WUTS, is a message stanza (acks, receipts and pings are far smaller). */
const MESSAGE_FRAME_BYTES = 300;
/** WUTS_SEND_WINDOW: messages on their way at once when the device's pace is 0 (test 4). */
const WINDOW = 4;
const A = '15557770001';
const B = '15557770002';

// ---------------------------------------------------------------- plumbing

/** Polls `probe` every `everyMs` until it returns a value; fails after `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the world

/** Everything the file started, stopped in afterAll whatever happened. */
const w = {
  emu: undefined as RunningEmulator | undefined,
  proxy: undefined as TcpProxy | undefined,
  database: undefined as TestDatabase | undefined,
  servers: [] as RunningServer[],
  handles: [] as Db[],
  /** the running WUTS and the WhatsApp URL it was given */
  server: undefined as RunningServer | undefined,
  waWsUrl: '',
  token: '',
  deviceId: '',
  /** every message queued so far, all bursts, in queue order: all B may have from A */
  all: [] as Queued[],
};

interface Queued {
  id: string;
  waId: string;
  text: string;
}

const emu = () => w.emu!;
const server = () => w.server!;
const admin = (method: string, path: string, body?: unknown) => new EmulatorAdminClient(emu()).request<any>(method, path, body);

function serverEnv(waWsUrl: string): Record<string, string | undefined> {
  return {
    WUTS_DATA_DIR: w.database!.dataDir,
    DATABASE_URL: w.database!.databaseUrl,
    WUTS_MASTER_TOKEN: MASTER,
    // restarted under its id, the node takes its devices' leases back at once (PostgreSQL)
    WUTS_NODE_ID: 'crash-node',
    WUTS_WA_WS_URL: waWsUrl,
    WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
    WUTS_SEND_INTERVAL_MS: String(INTERVAL_MS),
    WUTS_SEND_JITTER_PERCENT: '0',
    WUTS_SEND_WINDOW: String(WINDOW),
    LOG_LEVEL: 'warn',
  };
}

/** Starts `wuts serve` on the file's data dir / database; answers how long it took to listen. */
async function boot(waWsUrl: string): Promise<number> {
  const start = Date.now();
  const s = await startServer(serverEnv(waWsUrl));
  w.servers.push(s);
  w.server = s;
  w.waWsUrl = waWsUrl;
  return Date.now() - start;
}

const running = (s: RunningServer | undefined) => !!s && s.child.exitCode === null && s.child.signalCode === null;

async function kill(): Promise<void> {
  const s = server();
  await s.stop('SIGKILL');
  expect(s.child.signalCode).toBe('SIGKILL');
}

async function deviceStatus(): Promise<string> {
  return (await ok(api(server().baseUrl, 'GET', `/devices/${w.deviceId}`, w.token), 200)).device.status;
}

/** The device is connected; after a restart, from its stored session, without anyone calling connect. Answers how long it took. */
async function connected(): Promise<number> {
  const start = Date.now();
  await eventually('device connected', 30_000, async () => ((await deviceStatus()) === 'connected' ? true : undefined));
  return Date.now() - start;
}

/** A test starts with WUTS running on `waWsUrl` and the device connected (a previous test may have failed anywhere). */
async function readyOn(waWsUrl: string): Promise<void> {
  if (!running(w.server) || w.waWsUrl !== waWsUrl) {
    if (running(w.server)) await server().stop('SIGTERM');
    await boot(waWsUrl);
  }
  await connected();
}

/** Queues the 30 texts one after another, as fast as WUTS answers. */
async function queueBurst(tag: string): Promise<Queued[]> {
  const queued: Queued[] = [];
  for (let i = 1; i <= N; i++) {
    const text = `crash ${tag} #${i}`;
    const body = await ok(api(server().baseUrl, 'POST', `/devices/${w.deviceId}/messages`, w.token, { type: 'text', to: B, text }), 202);
    expect(body.message.status).toBe('queued');
    expect(body.message.wa_id).toEqual(expect.any(String));
    queued.push({ id: body.message.id, waId: body.message.wa_id, text });
  }
  w.all.push(...queued);
  // the queue's order is the id order (UUIDv7): the order of acceptance
  expect(queued.map((q) => q.id)).toEqual([...queued.map((q) => q.id)].sort());
  expect(new Set(w.all.map((q) => q.waId)).size).toBe(w.all.length);
  return queued;
}

async function messageOf(id: string): Promise<any> {
  return (await ok(api(server().baseUrl, 'GET', `/messages/${id}`, w.token), 200)).message;
}

/** The chat with B as WUTS's history shows it, oldest first: id → message. */
async function chat(): Promise<Map<string, any>> {
  const body = await ok(api(server().baseUrl, 'GET', `/devices/${w.deviceId}/chats/${B}/messages?limit=500&direction=newer`, w.token), 200);
  return new Map((body.messages as any[]).map((m) => [m.id, m]));
}

async function statuses(burst: Queued[]): Promise<string[]> {
  const byId = await chat();
  return burst.map((q) => byId.get(q.id)?.status ?? 'missing');
}

async function waitSent(q: Queued): Promise<void> {
  await eventually(`${q.text} sent`, 20_000, async () => (DONE.has((await messageOf(q.id)).status) ? true : undefined), 20);
}

/** What B's phone received from A, oldest first. */
async function phoneOfB(): Promise<any[]> {
  const res = await admin('GET', `/admin/accounts/${B}/messages?limit=500`);
  expect(res.status).toBe(200);
  return (res.body.received as any[]).filter((r) => r.from === A);
}

/** The statuses the killed process left in the database, read on a fresh connection, in queue order. */
async function statusesAtKill(burst: Queued[]): Promise<{ status: string; attempts: number }[]> {
  const db = w.database!.reopen();
  w.handles.push(db);
  const rows = await db.kysely
    .selectFrom('messages')
    .select(['id', 'status', 'attempts'])
    .where('device_id', '=', w.deviceId)
    .where(
      'id',
      'in',
      burst.map((q) => q.id),
    )
    .orderBy('id')
    .execute();
  expect(rows.map((r) => r.id)).toEqual(burst.map((q) => q.id));
  return rows.map((r) => ({ status: DONE.has(r.status) ? 'sent' : r.status, attempts: Number(r.attempts) }));
}

const sentThenQueued = (sent: number) => [...Array<string>(sent).fill('sent'), ...Array<string>(N - sent).fill('queued')];

/** Every message of the burst reaches sent or better, within the bound; none fails or stays queued. Answers the time it took. */
async function allSent(burst: Queued[]): Promise<number> {
  const start = Date.now();
  await eventually(
    `all ${N} messages sent`,
    RECOVERY_BOUND_MS,
    async () => {
      const list = await statuses(burst);
      expect(list.filter((s) => s === 'failed' || s === 'cancelled' || s === 'missing')).toEqual([]);
      return list.every((s) => DONE.has(s)) ? true : undefined;
    },
    200,
  );
  const took = Date.now() - start;
  const final = await Promise.all(burst.map((q) => messageOf(q.id)));
  // the WhatsApp ids did not change across the crash
  expect(final.map((m) => m.wa_id)).toEqual(burst.map((q) => q.waId));
  expect(final.map((m) => m.content.text)).toEqual(burst.map((q) => q.text));
  for (const m of final) {
    const history: string[] = m.status_history.map((h: any) => h.status);
    expect(history[0]).toBe('queued');
    expect(history.filter((s) => s === 'sent')).toHaveLength(1);
    expect(history).not.toContain('failed');
  }
  // the chat's history shows the burst in queue order
  const order = [...(await chat()).keys()].filter((id) => burst.some((q) => q.id === id));
  expect(order).toEqual(burst.map((q) => q.id));
  return took;
}

/** B's phone has each message queued so far exactly once, in queue order, and nothing else from A. */
async function checkPhone(burst: Queued[]): Promise<void> {
  // sent = acknowledged by the server; the phone's copy lands a moment later
  await eventually(`B has all ${N}`, 15_000, async () => {
    const ids = new Set((await phoneOfB()).map((r) => r.id));
    return burst.every((q) => ids.has(q.waId)) ? true : undefined;
  });
  await pause(500); // a late duplicate, if there is one, has the time to show
  const got = await phoneOfB();
  expect(
    got.map((r) => r.id),
    'one record per message id, in queue order, nothing else from A',
  ).toEqual(w.all.map((q) => q.waId));
  expect(
    got.map((r) => r.text),
    'no text twice',
  ).toEqual(w.all.map((q) => q.text));
}

/** How many `message` stanzas with this id the emulator received (from any connection), since `sinceIso`. */
async function sendsOf(waId: string, sinceIso = ''): Promise<number> {
  const res = await admin('GET', '/admin/traffic?limit=500');
  expect(res.status).toBe(200);
  return (res.body.traffic as any[]).filter((t) => t.direction === 'in' && t.tag === 'message' && t.attrs.id === waId && t.at > sinceIso).length;
}

interface Recovery {
  bootMs: number;
  reconnectMs: number;
  recoverMs: number;
}

const describeRecovery = (r: Recovery) => `restarted in ${r.bootMs} ms, reconnected ${r.reconnectMs} ms later, all ${N} sent ${r.recoverMs} ms after that`;

// ---------------------------------------------------------------- the tests

beforeAll(async () => {
  w.emu = await startTestEmulator();
  const created = await Promise.all([
    admin('POST', '/admin/accounts', { phone: A, name: 'WUTS number' }),
    admin('POST', '/admin/accounts', { phone: B, name: 'Recipient' }),
  ]);
  for (const c of created) expect(c.status, JSON.stringify(c.body)).toBe(201);
  w.proxy = await startTcpProxy(Number(new URL(emu().url).port));
  w.database = await createTestDatabase();

  await boot(w.proxy!.wsUrl);
  const reg = await ok(
    api(server().baseUrl, 'POST', '/register', MASTER, {
      tenant_name: `Crash ${randomBytes(4).toString('hex')}`,
      email: `admin-${randomBytes(4).toString('hex')}@example.test`,
      password: PASSWORD,
    }),
    201,
  );
  w.token = reg.token;
  w.deviceId = (await ok(api(server().baseUrl, 'POST', '/devices', w.token, { name: `phone ${A}` }), 201)).device.id;
  const connect = await ok(api(server().baseUrl, 'POST', `/devices/${w.deviceId}/connect`, w.token, {}), 200);
  await ok(admin('POST', '/admin/link', { qr: connect.qr.text, phone: A }), 200);
  await connected();
}, 90_000);

afterAll(async () => {
  for (const s of w.servers) if (running(s)) await s.stop('SIGKILL');
  await w.proxy?.close();
  for (const h of w.handles) await h.close().catch(() => {});
  await w.database?.drop();
  await w.emu?.close();
}, 60_000);

describe(`outbound messages survive SIGKILL (${DIALECT})`, () => {
  it('killed during a burst of 30: after a restart each is sent, B has each once, in queue order', { timeout: 120_000 }, async () => {
    await readyOn(w.proxy!.wsUrl);
    const burst = await queueBurst('burst');

    // Kill as soon as the third is sent (the queue sends in order: the first three are).
    await waitSent(burst[2]!);
    await kill();

    const atKill = await statusesAtKill(burst);
    const sentBefore = atKill.filter((m) => m.status === 'sent').length;
    expect(sentBefore).toBeGreaterThanOrEqual(3);
    expect(sentBefore, 'the kill should land before the burst is over').toBeLessThan(N);
    expect(atKill.map((m) => m.status)).toEqual(sentThenQueued(sentBefore));
    // What B has: everything sent, and one more if a send was in flight at the kill.
    await pause(300);
    const onPhone = (await phoneOfB()).map((r) => r.id);
    expect(onPhone.slice(0, sentBefore)).toEqual(burst.slice(0, sentBefore).map((q) => q.waId));
    expect(onPhone.length).toBeLessThanOrEqual(sentBefore + 1);
    const inFlight = onPhone.length > sentBefore;
    if (inFlight) expect(onPhone[sentBefore]).toBe(burst[sentBefore]!.waId);

    const bootMs = await boot(w.proxy!.wsUrl);
    const reconnectMs = await connected();
    const recoverMs = await allSent(burst);
    await checkPhone(burst);
    console.log(
      `[crash ${DIALECT}] burst: ${sentBefore}/${N} sent before SIGKILL, ${inFlight ? 'one in flight (on the phone, not acknowledged)' : 'none in flight'}; ${describeRecovery({ bootMs, reconnectMs, recoverMs })}`,
    );
  });

  it('killed with a send in flight that reached B but was not acknowledged: after a restart B still has it once', { timeout: 120_000 }, async () => {
    const proxy = w.proxy!;
    await readyOn(proxy.wsUrl);
    const burst = await queueBurst('on-the-phone');

    await waitSent(burst[2]!);
    // From now on WUTS hears nothing from the emulator: the send it is doing, or the next one,
    // reaches B's phone but its ack is held; the sender waits for it (30 s) and sends nothing else.
    expect(proxy.freezeDownstream()).toBe(1);

    // The one in flight: the first WUTS has not seen acknowledged. Wait until B has it, then
    // until nothing more arrives there for a second (the sender is stuck on it).
    await eventually('a message on B that WUTS has not seen acknowledged', 15_000, async () => {
      const k = (await statuses(burst)).findIndex((s) => !DONE.has(s));
      if (k < 0) throw new Error('every message was sent before the freeze took hold');
      const onPhone = (await phoneOfB()).map((r) => r.id);
      return onPhone.includes(burst[k]!.waId) ? k : undefined;
    });
    await pause(1_000);
    // Read again once settled: an ack that came just before the freeze may still have been
    // being recorded above (the sender then sent one more, which is the one in flight).
    const stuck = (await statuses(burst)).findIndex((s) => !DONE.has(s));
    const before = w.all.length - N;
    const onPhone = (await phoneOfB()).map((r) => r.id).slice(before);
    expect(onPhone, 'B has exactly the sent ones and the one in flight').toEqual(burst.slice(0, stuck + 1).map((q) => q.waId));
    const inFlight = burst[stuck]!;
    expect((await messageOf(inFlight.id)).status).toBe('queued');
    expect(await sendsOf(inFlight.waId)).toBe(1);
    expect(proxy.held().down).toBeGreaterThan(0);

    await kill();
    const killedIso = new Date().toISOString();
    const atKill = await statusesAtKill(burst);
    expect(atKill.map((m) => m.status)).toEqual(sentThenQueued(stuck));
    // queued as a first attempt: no failure was recorded for it
    expect(atKill[stuck]).toEqual({ status: 'queued', attempts: 0 });

    // Restart through the proxy (new connections are not frozen).
    const bootMs = await boot(proxy.wsUrl);
    const reconnectMs = await connected();
    // it settles first (queue order), while the traffic log still holds its sends
    await waitSent(inFlight);
    const resends = await sendsOf(inFlight.waId, killedIso);
    expect(resends, 'sent again at most once, under the same id').toBeLessThanOrEqual(1);
    const recoverMs = await allSent(burst);
    await checkPhone(burst);
    console.log(
      `[crash ${DIALECT}] in flight on the phone: ${stuck}/${N} sent before SIGKILL, #${stuck + 1} on B and not acknowledged; after the restart it was ` +
        `${resends === 1 ? 'sent again under the same id (B kept one copy)' : 'settled by the held delivery receipt, not sent again'}; ${describeRecovery({ bootMs, reconnectMs, recoverMs })}`,
    );
  });

  it(
    'killed with a send written but never received by the server: after a restart it is sent again under the same id, once',
    { timeout: 120_000 },
    async () => {
      const proxy = w.proxy!;
      await readyOn(proxy.wsUrl);
      const burst = await queueBurst('never-received');

      await waitSent(burst[2]!);
      // From now on nothing WUTS writes reaches the emulator: after its pause the sender writes the
      // next message, which the proxy holds, and waits for an ack that cannot come.
      const heldBefore = proxy.heldUpFrames().length;
      expect(proxy.freezeUpstream()).toBe(1);
      const messageFrames = () =>
        proxy
          .heldUpFrames()
          .slice(heldBefore)
          .filter((len) => len >= MESSAGE_FRAME_BYTES).length;
      await eventually('WUTS wrote a message after the freeze', 15_000, async () => (messageFrames() > 0 ? true : undefined));
      await pause(1_000); // ~seven pauses: were the sender not stuck on it, it would write another
      const list = await statuses(burst);
      const stuck = list.findIndex((s) => !DONE.has(s));
      expect(stuck, 'the freeze should land before the burst is over').toBeGreaterThanOrEqual(3);
      const inFlight = burst[stuck]!;
      await pause(300);
      expect(await statuses(burst), 'the sender is stuck').toEqual(list);
      // What WUTS wrote after the freeze, as WebSocket frames (one stanza each): one big enough to
      // be a text message (encrypted for B's phone and A's own: several hundred bytes; an ack or a
      // receipt is under 150), and no other of that size.
      const frames = proxy.heldUpFrames().slice(heldBefore);
      expect(
        frames.filter((len) => len >= MESSAGE_FRAME_BYTES),
        `held frames ${JSON.stringify(frames)}`,
      ).toHaveLength(1);
      // the server never saw it, B does not have it
      expect(await sendsOf(inFlight.waId)).toBe(0);
      expect((await phoneOfB()).map((r) => r.id)).toEqual(w.all.slice(0, w.all.length - N + stuck).map((q) => q.waId));

      await kill();
      const killedIso = new Date().toISOString();
      const atKill = await statusesAtKill(burst);
      expect(atKill.map((m) => m.status)).toEqual(sentThenQueued(stuck));
      expect(atKill[stuck]).toEqual({ status: 'queued', attempts: 0 });

      const bootMs = await boot(proxy.wsUrl);
      const reconnectMs = await connected();
      await waitSent(inFlight);
      expect(await sendsOf(inFlight.waId, killedIso), 'sent again after the restart, once, under the id it was given when accepted').toBe(1);
      const recoverMs = await allSent(burst);
      await checkPhone(burst);
      console.log(
        `[crash ${DIALECT}] never received: ${stuck}/${N} sent before SIGKILL, #${stuck + 1} written by WUTS (held frames ${JSON.stringify(frames)}) and not received; ` +
          `sent again once under the same id after the restart; ${describeRecovery({ bootMs, reconnectMs, recoverMs })}`,
      );
      await server().stop('SIGTERM');
    },
  );

  it(
    'killed with several sends in flight (pace 0): after a restart each is sent again once under its id, B has each once, in order',
    { timeout: 120_000 },
    async () => {
      const proxy = w.proxy!;
      await readyOn(proxy.wsUrl);
      await ok(api(server().baseUrl, 'PUT', `/devices/${w.deviceId}/send-interval`, w.token, { send_interval_ms: 0 }), 200);
      // one message first, so that the session knows B's devices before the freeze
      const first = await ok(
        api(server().baseUrl, 'POST', `/devices/${w.deviceId}/messages`, w.token, { type: 'text', to: B, text: 'crash window: first' }),
        202,
      );
      const warm = { id: first.message.id, waId: first.message.wa_id, text: 'crash window: first' };
      w.all.push(warm);
      await waitSent(warm);

      const heldBefore = proxy.heldUpFrames().length;
      expect(proxy.freezeUpstream()).toBe(1);
      const burst = await queueBurst('window');
      const messageFrames = () =>
        proxy
          .heldUpFrames()
          .slice(heldBefore)
          .filter((len) => len >= MESSAGE_FRAME_BYTES).length;
      await eventually(`WUTS wrote ${WINDOW} messages`, 15_000, async () => (messageFrames() >= WINDOW ? true : undefined));
      await pause(1_000); // the window is full: nothing more is written
      expect(messageFrames(), `held frames ${JSON.stringify(proxy.heldUpFrames().slice(heldBefore))}`).toBe(WINDOW);
      for (const q of burst.slice(0, WINDOW)) expect(await sendsOf(q.waId)).toBe(0);
      expect(await statuses(burst)).toEqual(Array<string>(N).fill('queued'));

      await kill();
      const killedIso = new Date().toISOString();
      const atKill = await statusesAtKill(burst);
      expect(atKill).toEqual(Array(N).fill({ status: 'queued', attempts: 0 }));

      const bootMs = await boot(proxy.wsUrl);
      const reconnectMs = await connected();
      await waitSent(burst[WINDOW - 1]!);
      // read while the traffic log still holds their sends
      for (const q of burst.slice(0, WINDOW)) expect(await sendsOf(q.waId, killedIso), `${q.text} sent again once after the restart`).toBe(1);
      const recoverMs = await allSent(burst);
      await checkPhone(burst);
      console.log(
        `[crash ${DIALECT}] several in flight: ${WINDOW} written by WUTS and held, none received; each sent again once under its id after the restart; ${describeRecovery({ bootMs, reconnectMs, recoverMs })}`,
      );
      await server().stop('SIGTERM');
    },
  );
});
