// Crash test of store-before-ack for received messages: the real `wuts serve` process (real
// Baileys provider, patched by patches/@whiskeysockets+baileys+7.0.0-rc14.patch; the WhatsApp
// emulator in this process) is handed a message from account B while it cannot write it, and is
// killed with SIGKILL before the write went through. After a restart on the same data directory /
// database the message is stored exactly once, with one message.received webhook.
//
// "Cannot write": on PostgreSQL the test holds `lock table messages in access exclusive mode` in
// an open transaction (WUTS's insert waits on the lock); on SQLite it holds the database's write
// lock (`begin immediate`; WUTS's writes wait for busy_timeout and fail). Either way WhatsApp got
// no delivery receipt for the message, kept it queued for the device, and hands it over again at
// the login after the restart. The Signal key state its decryption advanced was never committed
// (it is committed only after the message is), so the redelivery decrypts.
//
// On the code before the patch this fails: Baileys sent the receipt before WUTS stored the
// message, the emulator dropped it from the device's queue, and after the restart it is gone.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import type { Db } from '../../src/db/connect.js';
import { startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { PASSWORD } from '../helpers/factories.js';
import { api, ok } from '../helpers/http.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';

const MASTER = 'inbound_crash_master_' + randomBytes(24).toString('hex');
const A = '15557880001'; // the WUTS device's number
const B = '15557880002'; // the peer

const w = {
  emu: undefined as RunningEmulator | undefined,
  database: undefined as TestDatabase | undefined,
  receiver: undefined as WebhookReceiver | undefined,
  servers: [] as RunningServer[],
  handles: [] as Db[],
  token: '',
  deviceId: '',
};

const emu = () => w.emu!;
const server = () => w.servers[w.servers.length - 1]!;
const admin = <T = any>(method: string, path: string, body?: unknown) => new EmulatorAdminClient(emu()).request<T>(method, path, body);
const running = (s: RunningServer) => s.child.exitCode === null && s.child.signalCode === null;

async function boot(): Promise<void> {
  w.servers.push(
    await startServer({
      WUTS_DATA_DIR: w.database!.dataDir,
      DATABASE_URL: w.database!.databaseUrl,
      WUTS_MASTER_TOKEN: MASTER,
      // restarted under its id, the node takes its devices' leases back at once (PostgreSQL)
      WUTS_NODE_ID: 'inbound-crash-node',
      WUTS_WA_WS_URL: emu().wsUrl,
      WUTS_ALLOW_PRIVATE_WEBHOOKS: 'true',
      WUTS_INBOUND_STORE_ATTEMPTS: '2',
      LOG_LEVEL: 'warn',
    }),
  );
}

async function connected(): Promise<void> {
  await until(
    'device connected',
    async () => (await ok(api(server().baseUrl, 'GET', `/devices/${w.deviceId}`, w.token), 200)).device.status === 'connected',
    30_000,
  );
}

async function phoneSend(text: string): Promise<string> {
  const res = await admin('POST', `/admin/accounts/${B}/messages`, { to: A, text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message.id as string;
}

async function storedCopies(waId: string): Promise<any[]> {
  const body = await ok(api(server().baseUrl, 'GET', `/devices/${w.deviceId}/chats/${B}/messages?limit=500&direction=newer`, w.token), 200);
  return (body.messages as any[]).filter((m) => m.wa_id === waId);
}

/** Distinct message.received webhooks (by webhook id) for a WhatsApp id. */
function receivedEvents(waId: string): string[] {
  const ids = new Set<string>();
  for (const r of w.receiver!.requests) if (r.payload?.type === 'message.received' && (r.payload.data as any).message?.wa_id === waId) ids.add(r.webhookId!);
  return [...ids];
}

async function traffic(): Promise<any[]> {
  const res = await admin<{ traffic: any[] }>('GET', '/admin/traffic?limit=500');
  expect(res.status).toBe(200);
  return res.body.traffic;
}

async function companion(): Promise<{ id: number; queued: number }> {
  const res = await admin<{ devices: Array<{ id: number; kind: string; queued: number }> }>('GET', `/admin/accounts/${A}/devices`);
  return res.body.devices.find((d) => d.kind === 'companion')!;
}

const queuedForDevice = async () => (await companion()).queued;

/** Traffic between the emulator and WUTS's device (A's phone, device 0, gets and acknowledges the same messages). */
async function deviceTraffic(): Promise<any[]> {
  const peer = `${A}:${(await companion()).id}@s.whatsapp.net`;
  return (await traffic()).filter((t) => t.peer === peer);
}

async function unfinishedDeliveries(): Promise<number> {
  const rows = await w.database!.db.kysely.selectFrom('deliveries').select('id').where('status', 'in', ['pending', 'delivering']).execute();
  return rows.length;
}

/** Holds the database so that WUTS cannot write received messages; answers the release. */
async function blockWrites(): Promise<() => Promise<void>> {
  const handle = w.database!.reopen();
  w.handles.push(handle);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const held = handle.kysely.connection().execute(async (conn) => {
    if (DIALECT === 'postgres') {
      await sql`begin`.execute(conn);
      await sql`lock table messages in access exclusive mode`.execute(conn);
    } else {
      await sql`begin immediate`.execute(conn);
    }
    locked();
    await released;
    await sql`rollback`.execute(conn);
  });
  await isLocked;
  return async () => {
    release();
    await held;
  };
}

beforeAll(async () => {
  w.emu = await startTestEmulator();
  await new EmulatorAdminClient(emu()).createAccount(A, 'WUTS number');
  await new EmulatorAdminClient(emu()).createAccount(B, 'Peer');
  w.receiver = await startReceiver();
  w.database = await createTestDatabase();
  await boot();
  const reg = await ok(
    api(server().baseUrl, 'POST', '/register', MASTER, {
      tenant_name: `Inbound crash ${randomBytes(4).toString('hex')}`,
      email: `admin-${randomBytes(4).toString('hex')}@example.test`,
      password: PASSWORD,
    }),
    201,
  );
  w.token = reg.token;
  const hook = await ok(api(server().baseUrl, 'POST', '/webhooks', w.token, { url: w.receiver.url }), 201);
  const secret = await ok(api(server().baseUrl, 'GET', `/webhooks/${hook.webhook.id}/secret`, w.token), 200);
  w.receiver.setSecrets(secret.secret);
  w.deviceId = (await ok(api(server().baseUrl, 'POST', '/devices', w.token, { name: `phone ${A}` }), 201)).device.id;
  const connect = await ok(api(server().baseUrl, 'POST', `/devices/${w.deviceId}/connect`, w.token, {}), 200);
  await ok(admin('POST', '/admin/link', { qr: connect.qr.text, phone: A }), 200);
  await connected();
}, 90_000);

afterAll(async () => {
  for (const s of w.servers) if (running(s)) await s.stop('SIGKILL');
  for (const h of w.handles) await h.close().catch(() => {});
  await w.database?.drop();
  await w.receiver?.close();
  await w.emu?.close();
}, 60_000);

it(
  `a message handed over while WUTS cannot write it survives a SIGKILL: stored once after the restart, with one webhook (${DIALECT})`,
  { timeout: 120_000 },
  async () => {
    // a first message sets up the Signal session with B and shows the path works
    const first = await phoneSend('before the crash');
    await until('the first message stored', async () => (await storedCopies(first)).length === 1, 20_000);
    // and every webhook delivery recorded: one still open when the database is locked (its outcome
    // cannot be written) would hold the device's later deliveries until its lease runs out
    await until('no delivery in flight', async () => (await unfinishedDeliveries()) === 0, 15_000);

    const release = await blockWrites();
    let releasedAlready = false;
    try {
      const waId = await phoneSend('sent while WUTS cannot write');
      // the emulator handed it to WUTS's device ...
      await until(
        'the message handed to the device',
        async () => (await deviceTraffic()).some((t) => t.direction === 'out' && t.tag === 'message' && t.attrs.id === waId),
        15_000,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      // ... which sent no delivery receipt for it: WhatsApp still holds it
      expect((await deviceTraffic()).filter((t) => t.direction === 'in' && t.tag === 'receipt' && t.attrs.id === waId)).toEqual([]);
      expect(await queuedForDevice()).toBeGreaterThanOrEqual(1);

      const killed = server();
      await killed.stop('SIGKILL');
      expect(killed.child.signalCode).toBe('SIGKILL');
      await release();
      releasedAlready = true;

      await boot();
      await connected();
      await until('the message stored after the restart', async () => (await storedCopies(waId)).length > 0, 30_000);
      await until('its message.received webhook', () => receivedEvents(waId).length > 0, 15_000);
      await until('WhatsApp let go of it', async () => (await queuedForDevice()) === 0, 15_000);
      // a late duplicate has the time to show
      const marker = await phoneSend('after the restart');
      await until('the marker stored', async () => (await storedCopies(marker)).length === 1, 20_000);
      await until('the marker webhook', () => receivedEvents(marker).length > 0, 15_000);

      const copies = await storedCopies(waId);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({ direction: 'inbound', type: 'text', content: { text: 'sent while WUTS cannot write' }, status: 'received' });
      expect(receivedEvents(waId)).toHaveLength(1);
      const request = w.receiver!.requests.find((r) => r.webhookId === receivedEvents(waId)[0]);
      expect(request!.verified).toBe(true);
      expect((request!.payload!.data as any).message).toEqual(copies[0]);
    } finally {
      if (!releasedAlready) await release();
    }
  },
);
