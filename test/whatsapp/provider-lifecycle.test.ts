import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WAMessage } from '@whiskeysockets/baileys';
import type { RunningEmulator } from '@wuts/wa-emulator';
import { createDbSessionStore } from '../../src/devices/session-store.js';
import type { BaileysProvider } from '../../src/whatsapp/baileys/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { accountDevices, api, createAccount, EventLog, insertTenantAndDevice, startTestEmulator, testProvider, waitFor } from './helpers.js';

const ALICE = '15550003001';
const BOB = '15550003002';

interface MessagesBody {
  sent: Array<{ id: string; to: string; text: string; status: string }>;
}

describe('Baileys provider against the emulator: link, restart, stop, log in again from the database', () => {
  let emu: RunningEmulator;
  let tdb: TestDatabase;
  let ids: { tenantId: string; deviceId: string };
  let aliceLid: string;
  /** the events of the session that opened after linking (still live after the first test) */
  let linkedSession: EventLog;
  const providers: BaileysProvider[] = [];
  const provider = () => {
    const p = testProvider(emu);
    providers.push(p);
    return p;
  };
  const store = () => createDbSessionStore(tdb.db, tdb.secrets, ids.tenantId, ids.deviceId);

  beforeAll(async () => {
    emu = await startTestEmulator();
    tdb = await createTestDatabase();
    ids = await insertTenantAndDevice(tdb.db);
    aliceLid = (await createAccount(emu, ALICE, 'Alice')).lid;
    await createAccount(emu, BOB, 'Bob');
  });

  afterAll(async () => {
    for (const p of providers) await p.close();
    await emu?.close();
    await tdb?.drop();
  });

  it("start → QR → linked through the emulator → restart_required → a new start opens as the account's device", async () => {
    const p = provider();
    const linking = new EventLog();
    const started = Date.now();
    await p.start({ deviceId: ids.deviceId, store: store(), events: linking });
    const qr = await waitFor('a QR', () => linking.qrs[0]);
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);

    const linked = await api<{ device: { id: number; jid: string } }>(emu, 'POST', '/admin/link', { qr, phone: ALICE });
    expect(linked.status).toBe(200);
    const close = await waitFor('the restart after pairing', () => linking.closes[0]);
    expect(close).toEqual({ type: 'close', kind: 'restart_required', statusCode: 515, message: expect.stringContaining('restart') });
    expect(linking.types()).toEqual(['qr', 'close:restart_required']);
    expect(p.session(ids.deviceId)).toBeUndefined(); // done: the device is free for a new start

    // the pairing is in the database before onClose fired
    const saved = JSON.parse((await store().readCreds())!);
    expect(saved.me.id).toBe(linked.body.device.jid);

    const open = (linkedSession = new EventLog());
    await p.start({ deviceId: ids.deviceId, store: store(), events: open });
    const account = await waitFor('open', () => open.opens[0]);
    const connectToOpenMs = Date.now() - started;
    expect(account).toEqual({ jid: linked.body.device.jid, phone: ALICE, lid: aliceLid, name: 'Alice' });
    expect(account.jid).toMatch(new RegExp(`^${ALICE}:\\d+@s\\.whatsapp\\.net$`));
    expect(open.qrs).toEqual([]);
    expect(connectToOpenMs).toBeLessThan(10_000);

    const devices = await accountDevices(emu, ALICE);
    expect(devices.find((d) => d.jid === account.jid)?.online).toBe(true);
  });

  it('keeps the session in the database: creds with the LID, Signal keys, all under the tenant and device', async () => {
    await waitFor('creds with the LID saved', async () => JSON.parse((await store().readCreds()) ?? '{}').me?.lid);
    const creds = await tdb.db.kysely.selectFrom('device_auth_creds').selectAll().execute();
    expect(creds.map((r) => [r.tenant_id, r.device_id])).toEqual([[ids.tenantId, ids.deviceId]]);
    const keys = await tdb.db.kysely.selectFrom('device_auth_keys').select(['tenant_id', 'device_id', 'type']).execute();
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys.map((k) => `${k.tenant_id}/${k.device_id}`))).toEqual(new Set([`${ids.tenantId}/${ids.deviceId}`]));
    // the pre-keys Baileys uploaded at its first login are there
    expect(keys.some((k) => k.type === 'pre-key')).toBe(true);
  });

  it('refuses a second socket for a device that has a live session', async () => {
    const p = providers[0]!;
    await expect(p.start({ deviceId: ids.deviceId, store: store(), events: new EventLog() })).rejects.toThrow(/already has a WhatsApp session/);
  });

  it('stop() closes with closed_by_us exactly once, and the emulator sees the device offline', async () => {
    const p = providers[0]!;
    const session = p.session(ids.deviceId)!;
    const events = linkedSession;
    await session.stop();
    await session.stop(); // a second stop is harmless
    expect(events.types()).toEqual(['open', 'close:closed_by_us']);
    expect(events.closes).toEqual([{ type: 'close', kind: 'closed_by_us', statusCode: null, message: 'closed' }]);
    expect(p.session(ids.deviceId)).toBeUndefined();
    await waitFor('offline at the emulator', async () => (await accountDevices(emu, ALICE)).find((d) => d.id !== 0 && !d.online));
  });

  it('a new provider instance logs in from the database without a QR, and the device receives a message', async () => {
    const p = provider();
    const events = new EventLog();
    const started = Date.now();
    const session = await p.start({ deviceId: ids.deviceId, store: store(), events });
    const account = await waitFor('open from stored creds', () => events.opens[0]);
    const loginMs = Date.now() - started;
    expect(account.phone).toBe(ALICE);
    expect(account.lid).toBe(aliceLid);
    expect(events.qrs).toEqual([]);
    expect(loginMs).toBeLessThan(5_000);

    // messaging is not part of the interface yet: listen on the session's socket directly
    const upserts: WAMessage[] = [];
    session.socket.ev.on('messages.upsert', ({ messages }) => upserts.push(...messages));
    const sent = await api<{ message: { id: string } }>(emu, 'POST', `/admin/accounts/${BOB}/messages`, { to: ALICE, text: 'hello Alice, from Bob' });
    expect(sent.status).toBe(201);
    const got = await waitFor("the device decrypts Bob's message", () => upserts.find((m) => m.key.id === sent.body.message.id));
    expect(got.message?.conversation ?? got.message?.extendedTextMessage?.text).toBe('hello Alice, from Bob');
    await waitFor('Bob sees it delivered', async () => {
      const res = await api<MessagesBody>(emu, 'GET', `/admin/accounts/${BOB}/messages`);
      return res.body.sent.find((m) => m.id === sent.body.message.id && m.status === 'delivered');
    });
    await session.stop();
    expect(events.types()).toEqual(['open', 'close:closed_by_us']);
  });

  it('provider.close() stops every live session with closed_by_us and refuses new starts', async () => {
    const p = provider();
    const events = new EventLog();
    await p.start({ deviceId: ids.deviceId, store: store(), events });
    await waitFor('open', () => events.opens[0]);
    await p.close();
    expect(events.types()).toEqual(['open', 'close:closed_by_us']);
    await expect(p.start({ deviceId: ids.deviceId, store: store(), events: new EventLog() })).rejects.toThrow(/provider is closed/);
  });
});
