import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { cloneAuth, EmulatorAdminClient, EmulatorAdminError, type TestEmulator } from '../src/index.js';
import { startTestEmulator as startWithOptions } from '../src/testing.js';
import { createAccount, silent, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

// GET /admin/connections counts, per companion device, the logged-in connections attached
// (`logins`) and those a newer login of the same device replaced (`replaced`: the stream error
// <conflict type="replaced"/>, Baileys' 440): what a test of several WUTS nodes reads to prove a
// device was held by one of them at a time. POST /admin/connections/reset zeroes the counts.

const ANN = '15550011001';
const BEN = '15550011002';
const TOKEN = 'emulator-admin-token-connections-0123456789';

describe('connection counts of companion devices', () => {
  let emu: TestEmulator;
  const companions: TestCompanion[] = [];
  const companion = (saved?: Parameters<typeof cloneAuth>[0]) => {
    const c = new TestCompanion(emu.wsUrl, saved);
    companions.push(c);
    return c;
  };
  const annDevice = async () => (await emu.admin.connections()).devices.find((d) => d.phone === ANN);

  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, ANN, 'Ann'); // its phone (device 0) logs in: not counted
    await createAccount(emu, BEN, 'Ben');
  });

  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
  });

  it('lists no device while only the phones are online', async () => {
    expect(await emu.admin.connections()).toEqual({ devices: [], totals: { devices: 0, online: 0, logins: 0, replaced: 0 } });
  });

  it('counts one login for a companion linked by QR (the pairing connection is not a login)', async () => {
    const first = companion();
    await first.linkTo(emu, ANN);
    expect(await annDevice()).toEqual({ phone: ANN, device: 1, jid: `${ANN}:1@s.whatsapp.net`, linked: true, online: true, logins: 1, replaced: 0 });
    expect((await emu.admin.connections()).totals).toEqual({ devices: 1, online: 1, logins: 1, replaced: 0 });
  });

  it('counts a second login of the same device, and the connection it replaced (440)', async () => {
    const [first] = companions;
    const second = companion(cloneAuth(first!.auth.data)).connect();
    await waitFor('the second connection opens', () => second.isOpen);
    await waitFor('the first is closed as replaced', () => first!.closeCodes.includes(DisconnectReason.connectionReplaced));
    expect(await annDevice()).toMatchObject({ online: true, logins: 2, replaced: 1 });

    await second.stop();
    await waitFor('offline once its connection closed', async () => (await annDevice())?.online === false);
    expect(await annDevice()).toMatchObject({ linked: true, logins: 2, replaced: 1 });
  });

  it('reset zeroes the counts; the next login counts from there', async () => {
    await emu.admin.resetConnections();
    expect(await annDevice()).toMatchObject({ linked: true, online: false, logins: 0, replaced: 0 });
    const third = companion(cloneAuth(companions[0]!.auth.data)).connect();
    await waitFor('the third connection opens', () => third.isOpen);
    expect(await annDevice()).toMatchObject({ online: true, logins: 1, replaced: 0 });
    expect((await emu.admin.connections()).totals).toEqual({ devices: 1, online: 1, logins: 1, replaced: 0 });
  });

  it('keeps a counted device after it is unlinked, as linked: false', async () => {
    await emu.admin.unlink(ANN, 1);
    await waitFor('offline once unlinked', async () => (await annDevice())?.online === false);
    expect(await annDevice()).toMatchObject({ linked: false, logins: 1, replaced: 0 });
    await emu.admin.resetConnections();
    expect((await emu.admin.connections()).devices).toEqual([]);
  });
});

describe('connection counts behind the admin token', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startWithOptions({ adminToken: TOKEN, logger: silent });
  });
  afterAll(async () => emu?.close());

  it('answer 401 without the token, and with it the counts', async () => {
    const anonymous = new EmulatorAdminClient(emu);
    for (const call of [() => anonymous.connections(), () => anonymous.resetConnections()]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EmulatorAdminError);
      expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
    }
    expect((await emu.admin.connections()).totals).toEqual({ devices: 0, online: 0, logins: 0, replaced: 0 });
    await emu.admin.resetConnections();
  });
});
