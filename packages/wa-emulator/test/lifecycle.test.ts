import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisconnectReason } from '@whiskeysockets/baileys';
import { cloneAuth, type RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const DAN = '15550002001';
const ERIN = '15550002002';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const textOf = (m: { message?: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } | null }) =>
  m.message?.conversation ?? m.message?.extendedTextMessage?.text;

describe('device lifecycle: offline queue, restart from stored credentials, unlink', () => {
  let emu: RunningEmulator;
  const companions: TestCompanion[] = [];
  const companion = (saved?: Parameters<typeof cloneAuth>[0]) => {
    const c = new TestCompanion(emu.wsUrl, saved);
    companions.push(c);
    return c;
  };

  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, DAN, 'Dan');
    await createAccount(emu, ERIN, 'Erin');
  });

  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
  });

  it('queues a message for an offline companion and delivers it at its next login', async () => {
    const dan = companion();
    const erin = companion();
    await Promise.all([dan.linkTo(emu, DAN), erin.linkTo(emu, ERIN)]);
    // a first message establishes the Signal session while both are online
    const hello = await dan.sock!.sendMessage(jid(ERIN), { text: 'before going offline' });
    await waitFor('Erin gets the first message', () => erin.received.find((m) => m.key.id === hello?.key.id));

    await erin.stop();
    const saved = cloneAuth(erin.auth.data);
    const whileAway = await dan.sock!.sendMessage(jid(ERIN), { text: 'sent while you were away' });
    const fromAccount = await api<{ message: { id: string } }>(emu, 'POST', `/admin/accounts/${DAN}/messages`, { to: ERIN, text: 'also from the phone' });
    expect(fromAccount.status).toBe(201);
    const devices = await api<{ devices: Array<{ id: number; online: boolean; queued: number }> }>(emu, 'GET', `/admin/accounts/${ERIN}/devices`);
    const erinDevice = devices.body.devices.find((d) => d.id === 1)!;
    expect(erinDevice.online).toBe(false);
    expect(erinDevice.queued).toBeGreaterThanOrEqual(2);

    const back = companion(saved).connect();
    await waitFor('Erin back online', () => back.isOpen);
    const got = await waitFor('queued message arrives', () => back.received.find((m) => m.key.id === whileAway?.key.id));
    expect(textOf(got)).toBe('sent while you were away');
    const got2 = await waitFor('queued account message arrives', () => back.received.find((m) => m.key.id === fromAccount.body.message.id));
    expect(textOf(got2)).toBe('also from the phone');
    expect(back.qrCount).toBe(0);
    // acked at login: nothing waits for that device any more
    for (let i = 0; i < 100; i++) {
      const now = await api<{ devices: Array<{ id: number; queued: number }> }>(emu, 'GET', `/admin/accounts/${ERIN}/devices`);
      if (now.body.devices.find((d) => d.id === 1)?.queued === 0) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    const drained = await api<{ devices: Array<{ id: number; queued: number }> }>(emu, 'GET', `/admin/accounts/${ERIN}/devices`);
    expect(drained.body.devices.find((d) => d.id === 1)?.queued).toBe(0);
    await back.stop();
  });

  it('a companion restarted from stored credentials logs in without a QR and keeps decrypting', async () => {
    const dan = companions[0]!;
    const first = companion();
    await first.linkTo(emu, ERIN);
    const before = await dan.sock!.sendMessage(jid(ERIN), { text: 'one' });
    await waitFor('first copy', () => first.received.find((m) => m.key.id === before?.key.id));
    await first.stop();

    const restarted = companion(cloneAuth(first.auth.data)).connect();
    await waitFor('open after restart', () => restarted.isOpen);
    expect(restarted.qrCount).toBe(0);
    expect(restarted.me).toBe(first.me);
    const after = await dan.sock!.sendMessage(jid(ERIN), { text: 'two, after your restart' });
    const got = await waitFor('decrypts after restart', () => restarted.received.find((m) => m.key.id === after?.key.id));
    expect(textOf(got)).toBe('two, after your restart');
    // and it can still send: the session works both ways
    const reply = await restarted.sock!.sendMessage(jid(DAN), { text: 'still here' });
    const atDan = await waitFor('Dan gets the reply', () => dan.received.find((m) => m.key.id === reply?.key.id));
    expect(textOf(atDan)).toBe('still here');
  });

  it('unlinking a device through the admin API closes its client as logged out (401)', async () => {
    const victim = companion();
    await victim.linkTo(emu, DAN);
    const device = Number(victim.me!.split(':')[1]!.split('@')[0]);
    const res = await api(emu, 'DELETE', `/admin/accounts/${DAN}/devices/${device}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    await waitFor('client closed', () => victim.closeCodes.includes(DisconnectReason.loggedOut));
    expect(victim.isOpen).toBe(false);
    const list = await api<{ devices: Array<{ id: number }> }>(emu, 'GET', `/admin/accounts/${DAN}/devices`);
    expect(list.body.devices.map((d) => d.id)).not.toContain(device);

    // its stored credentials no longer log in
    const again = companion(cloneAuth(victim.auth.data)).connect();
    await waitFor('refused with 401', () => again.closeCodes.includes(DisconnectReason.loggedOut));
    expect(again.openCount).toBe(0);
    const missing = await api(emu, 'DELETE', `/admin/accounts/${DAN}/devices/${device}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, code: 'device_not_found' });
  });

  it('answers an unknown IQ with an error at once instead of letting it time out', async () => {
    const probe = companions.find((c) => c.isOpen)!;
    const started = Date.now();
    await expect(
      probe.sock!.query({ tag: 'iq', attrs: { to: 's.whatsapp.net', type: 'get', xmlns: 'no:such:namespace' }, content: [{ tag: 'whatever', attrs: {} }] }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
