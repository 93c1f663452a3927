import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '@wuts/wa-emulator';
import { createDbSessionStore } from '../../src/devices/session-store.js';
import type { BaileysProvider } from '../../src/whatsapp/baileys/index.js';
import { SessionClosedError } from '../../src/whatsapp/baileys/index.js';
import type { SessionStore } from '../../src/whatsapp/provider.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { accountDevices, api, createAccount, EventLog, insertDevice, insertTenantAndDevice, startTestEmulator, testProvider, waitFor } from './helpers.js';

const CAROL = '15550004001';

describe('Baileys provider: unlinked from the phone, logout from WUTS', () => {
  let emu: RunningEmulator;
  let tdb: TestDatabase;
  let tenantId: string;
  let provider: BaileysProvider;

  beforeAll(async () => {
    emu = await startTestEmulator();
    tdb = await createTestDatabase();
    tenantId = (await insertTenantAndDevice(tdb.db)).tenantId;
    await createAccount(emu, CAROL, 'Carol');
    provider = testProvider(emu);
  });

  afterAll(async () => {
    await provider?.close();
    await emu?.close();
    await tdb?.drop();
  });

  /** Links a new device to Carol and answers it open, as the supervisor would drive it. */
  async function linkedDevice(): Promise<{ deviceId: string; store: SessionStore; events: EventLog; deviceNumber: number }> {
    const deviceId = await insertDevice(tdb.db, tenantId);
    const store = createDbSessionStore(tdb.db, tdb.secrets, tenantId, deviceId);
    const linking = new EventLog();
    await provider.start({ deviceId, store, events: linking });
    const qr = await waitFor('a QR', () => linking.qrs[0]);
    const linked = await api<{ device: { id: number } }>(emu, 'POST', '/admin/link', { qr, phone: CAROL });
    expect(linked.status).toBe(200);
    await waitFor('restart', () => linking.closes.find((c) => c.kind === 'restart_required'));
    const events = new EventLog();
    await provider.start({ deviceId, store, events });
    await waitFor('open', () => events.opens[0]);
    return { deviceId, store, events, deviceNumber: linked.body.device.id };
  }

  it('unlinked through the emulator admin API: onClose logged_out (401) exactly once, the next start is refused with 401 too', async () => {
    const { deviceId, store, events, deviceNumber } = await linkedDevice();
    const res = await api(emu, 'DELETE', `/admin/accounts/${CAROL}/devices/${deviceNumber}`);
    expect(res.status).toBe(200);
    const close = await waitFor('logged out', () => events.closes[0]);
    expect(close).toMatchObject({ kind: 'logged_out', statusCode: 401 });
    expect(provider.session(deviceId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(events.types()).toEqual(['open', 'close:logged_out']);

    // the supervisor would clear the store now; started again instead, the stale creds get 401
    const again = new EventLog();
    await provider.start({ deviceId, store, events: again });
    await waitFor('refused', () => again.closes[0]);
    expect(again.types()).toEqual(['close:logged_out']);
    expect(again.closes[0]?.statusCode).toBe(401);

    await store.clear();
    expect(await store.readCreds()).toBeNull();
  });

  it('logout(): unlinks the device at the emulator, onClose logged_out exactly once, no write after it', async () => {
    const { deviceId, store, events, deviceNumber } = await linkedDevice();
    const session = provider.session(deviceId)!;
    await session.logout();
    expect(events.types()).toEqual(['open', 'close:logged_out']);
    expect(events.closes[0]).toMatchObject({ kind: 'logged_out', statusCode: 401 });
    await waitFor('the emulator lists no such device', async () => !(await accountDevices(emu, CAROL)).some((d) => d.id === deviceNumber));

    // the supervisor clears the session; nothing from the closed socket writes it back
    await store.clear();
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.readCreds()).toBeNull();
    const keys = await tdb.db.kysely.selectFrom('device_auth_keys').select('key_id').where('device_id', '=', deviceId).execute();
    expect(keys).toEqual([]);

    await expect(session.logout()).rejects.toBeInstanceOf(SessionClosedError);
    await session.stop(); // after the close: nothing more happens
    expect(events.types()).toEqual(['open', 'close:logged_out']);
  });

  it('logout() while still showing a QR ends the session as logged_out without anything to unlink', async () => {
    const deviceId = await insertDevice(tdb.db, tenantId);
    const store = createDbSessionStore(tdb.db, tdb.secrets, tenantId, deviceId);
    const events = new EventLog();
    const session = await provider.start({ deviceId, store, events });
    await waitFor('a QR', () => events.qrs[0]);
    await session.logout();
    expect(events.types()).toEqual(['qr', 'close:logged_out']);
    expect(events.closes[0]).toMatchObject({ kind: 'logged_out', statusCode: null }); // nothing was sent: no 401 from anyone
  });

  it('after both, Carol has only her phone left', async () => {
    expect((await accountDevices(emu, CAROL)).map((d) => d.id)).toEqual([0]);
  });
});
