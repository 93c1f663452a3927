import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { RunningEmulator } from '@wuts/wa-emulator';
import { createDbSessionStore } from '../../src/devices/session-store.js';
import { createBaileysProvider, type BaileysProvider } from '../../src/whatsapp/baileys/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { api, createAccount, EventLog, insertDevice, insertTenantAndDevice, quiet, startTestEmulator, testProvider, waitFor } from './helpers.js';

const DAVE = '15550005001';
const NOBODY = '15550005999';

/** A pino logger whose lines (parsed) land in `lines`. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

describe('Baileys provider: QR expiry, pairing codes, replaced connections, unreachable server, early stop', () => {
  let emu: RunningEmulator;
  let tdb: TestDatabase;
  let tenantId: string;
  const providers: BaileysProvider[] = [];
  const track = (p: BaileysProvider) => (providers.push(p), p);
  const newDevice = async () => {
    const deviceId = await insertDevice(tdb.db, tenantId);
    return { deviceId, store: createDbSessionStore(tdb.db, tdb.secrets, tenantId, deviceId) };
  };

  beforeAll(async () => {
    emu = await startTestEmulator();
    tdb = await createTestDatabase();
    tenantId = (await insertTenantAndDevice(tdb.db)).tenantId;
    await createAccount(emu, DAVE, 'Dave');
  });

  afterAll(async () => {
    for (const p of providers) await p.close();
    await emu?.close();
    await tdb?.drop();
  });

  it('QR codes nobody scans run out: each one reported, then onClose qr_expired (408), not a loop', async () => {
    // Baileys lets each of the server's refs live qrTimeout ms; the emulator sends 6 refs
    const p = track(testProvider(emu, { qrTimeoutMs: 250 }));
    const { deviceId, store } = await newDevice();
    const events = new EventLog();
    await p.start({ deviceId, store, events });
    const close = await waitFor('QR expiry', () => events.closes[0], 10_000);
    expect(close).toEqual({ type: 'close', kind: 'qr_expired', statusCode: 408, message: 'QR refs attempts ended' });
    expect(events.qrs.length).toBe(6);
    expect(new Set(events.qrs).size).toBe(6);
    expect(events.types()).toEqual([...events.qrs.map(() => 'qr'), 'close:qr_expired']);
    expect(p.session(deviceId)).toBeUndefined();
  });

  it('links by pairing code: onPairingCode, the phone types it (POST /admin/pair), restart, open without asking again', async () => {
    const p = track(testProvider(emu));
    const { deviceId, store } = await newDevice();
    const linking = new EventLog();
    await p.start({ deviceId, store, events: linking, pairingPhone: `+${DAVE}` });
    const code = await waitFor('a pairing code', () => linking.all.find((e) => e.type === 'pairing'));
    expect(code.type === 'pairing' && code.code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);
    const paired = await api<{ device: { jid: string } }>(emu, 'POST', '/admin/pair', { phone: DAVE, code: code.type === 'pairing' ? code.code : '' });
    expect(paired.status, JSON.stringify(paired.body)).toBe(200);
    await waitFor('restart', () => linking.closes[0]);
    // the QR comes first (the socket can ask for a code once it shows one), then the code
    expect(linking.types().filter((t) => t !== 'qr')).toEqual(['pairing', 'close:restart_required']);
    expect(linking.types()[0]).toBe('qr');

    const events = new EventLog();
    await p.start({ deviceId, store, events, pairingPhone: DAVE }); // linked now: no code asked
    const account = await waitFor('open', () => events.opens[0]);
    expect(account).toMatchObject({ jid: paired.body.device.jid, phone: DAVE });
    expect(events.types()).toEqual(['open']);
    await p.session(deviceId)!.stop();
  });

  it('a pairing code the server refuses is not reported; the QR still links and the creds are not left pointing at that number', async () => {
    const { logger, lines } = capturingLogger();
    const p = track(createBaileysProvider({ waWsUrl: emu.wsUrl, logger, defaultQueryTimeoutMs: 5_000 }));
    const { deviceId, store } = await newDevice();
    const linking = new EventLog();
    // no account has this number: the emulator answers the code request with an IQ error (404)
    await p.start({ deviceId, store, events: linking, pairingPhone: NOBODY });
    const refused = await waitFor('the refusal logged', () => lines.find((l) => l.msg === 'pairing code refused; the QR code stays usable'));
    expect(refused).toMatchObject({ reason: 'WhatsApp answered 404 item-not-found', deviceId });
    await waitFor('creds without the number', async () => {
      const saved = await store.readCreds();
      return saved !== null && JSON.parse(saved).me === undefined;
    });

    const qr = await waitFor('a QR', () => linking.qrs[0]);
    const linked = await api(emu, 'POST', '/admin/link', { qr, phone: DAVE });
    expect(linked.status).toBe(200);
    await waitFor('restart', () => linking.closes[0]);
    expect(linking.types()).toEqual(['qr', 'close:restart_required']);

    const events = new EventLog();
    await p.start({ deviceId, store, events });
    expect((await waitFor('open', () => events.opens[0])).phone).toBe(DAVE);
    await p.session(deviceId)!.stop();
  });

  it('the same device started on a second node takes the session: the first closes with connection_replaced (440)', async () => {
    const { deviceId, store } = await newDevice();
    const nodeA = track(testProvider(emu));
    const linking = new EventLog();
    await nodeA.start({ deviceId, store, events: linking });
    const qr = await waitFor('a QR', () => linking.qrs[0]);
    expect((await api(emu, 'POST', '/admin/link', { qr, phone: DAVE })).status).toBe(200);
    await waitFor('restart', () => linking.closes[0]);
    const onA = new EventLog();
    await nodeA.start({ deviceId, store, events: onA });
    await waitFor('open on A', () => onA.opens[0]);

    const nodeB = track(testProvider(emu));
    const onB = new EventLog();
    await nodeB.start({ deviceId, store: createDbSessionStore(tdb.db, tdb.secrets, tenantId, deviceId), events: onB });
    await waitFor('open on B', () => onB.opens[0]);
    const replaced = await waitFor('A replaced', () => onA.closes[0]);
    expect(replaced).toMatchObject({ kind: 'connection_replaced', statusCode: 440 });
    expect(onA.types()).toEqual(['open', 'close:connection_replaced']);
    await nodeB.session(deviceId)!.stop();
    expect(onB.types()).toEqual(['open', 'close:closed_by_us']);
  });

  it('an unreachable server closes the session as transient (not qr_expired), once', async () => {
    const p = track(createBaileysProvider({ waWsUrl: 'ws://127.0.0.1:1/ws/chat', logger: quiet, defaultQueryTimeoutMs: 2_000, connectTimeoutMs: 2_000 }));
    const { deviceId, store } = await newDevice();
    const events = new EventLog();
    await p.start({ deviceId, store, events });
    const close = await waitFor('close', () => events.closes[0]);
    expect(close.kind).toBe('transient');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.types()).toEqual(['close:transient']);
  });

  it('stop() right after start (still connecting) reports closed_by_us exactly once', async () => {
    const p = track(testProvider(emu));
    const { deviceId, store } = await newDevice();
    const events = new EventLog();
    const session = await p.start({ deviceId, store, events });
    await session.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(events.types()).toEqual(['close:closed_by_us']);
    // the device is free again at once
    const again = new EventLog();
    const next = await p.start({ deviceId, store, events: again });
    await waitFor('a QR', () => again.qrs[0]);
    await next.stop();
    expect(again.types()).toEqual(['qr', 'close:closed_by_us']);
  });
});
