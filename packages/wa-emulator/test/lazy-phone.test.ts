import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const LAZY = '15550009001';
const PEER = '15550009002';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

interface DevicesBody {
  devices: Array<{ id: number; kind: string; online: boolean }>;
}
interface MessagesBody {
  received: Array<{ id: string; from: string; text: string | null }>;
  sent: Array<{ id: string; to: string; text: string; status: string }>;
}

describe('an account created with start_phone: false (no phone client until its first use)', () => {
  let dir: string;
  let emu: TestEmulator;
  const companions: TestCompanion[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-lazy-'));
    emu = await startTestEmulator(path.join(dir, 'state.json'));
  });

  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers at once without a phone: no device 0, phone_online false', async () => {
    const account = await emu.admin.createAccount(LAZY, 'Lazy', { startPhone: false });
    expect(account).toMatchObject({ phone: LAZY, phone_online: false, linked_devices: 0 });
    expect((await api<DevicesBody>(emu, 'GET', `/admin/accounts/${LAZY}/devices`)).body.devices).toEqual([]);
  });

  it('takes a companion by QR, which exchanges messages with another account while the phone stays off', async () => {
    await createAccount(emu, PEER, 'Peer');
    const lazy = new TestCompanion(emu.wsUrl);
    const peer = new TestCompanion(emu.wsUrl);
    companions.push(lazy, peer);
    await Promise.all([lazy.linkTo(emu, LAZY), peer.linkTo(emu, PEER)]);
    expect(lazy.me).toBe(`${LAZY}:1@s.whatsapp.net`);

    const out = await lazy.sock!.sendMessage(jid(PEER), { text: 'from a companion of a phoneless account' });
    const got = await waitFor('the peer companion receives it', () => peer.received.find((m) => m.key.id === out?.key.id));
    expect(got.message?.conversation ?? got.message?.extendedTextMessage?.text).toBe('from a companion of a phoneless account');
    // the peer's phone got it too, and the sender's account still has no phone
    const atPeerPhone = await waitFor('the peer phone records it', async () => {
      const body = (await api<MessagesBody>(emu, 'GET', `/admin/accounts/${PEER}/messages`)).body;
      return body.received.find((m) => m.id === out?.key.id);
    });
    expect(atPeerPhone.from).toBe(LAZY);
    const devices = (await api<DevicesBody>(emu, 'GET', `/admin/accounts/${LAZY}/devices`)).body.devices;
    expect(devices.map((d) => [d.id, d.kind, d.online])).toEqual([[1, 'companion', true]]);
    expect(await emu.admin.account(LAZY)).toMatchObject({ phone_online: false, linked_devices: 1 });
  });

  it('is not started by a restart of the emulator on its state file', async () => {
    const port = Number(new URL(emu.url).port);
    for (const c of companions.splice(0)) await c.stop();
    await emu.close();
    emu = await startTestEmulator(path.join(dir, 'state.json'), port);
    expect(await emu.admin.account(LAZY)).toMatchObject({ phone_online: false });
    expect(await emu.admin.account(PEER)).toMatchObject({ phone_online: true });
  });

  it('starts its phone at the first send through the admin API, which links it as device 0', async () => {
    const sent = await api<{ message: { id: string; status: string } }>(emu, 'POST', `/admin/accounts/${LAZY}/messages`, {
      to: PEER,
      text: 'now from the phone',
    });
    expect(sent.status).toBe(201);
    expect(await emu.admin.account(LAZY)).toMatchObject({ phone_online: true });
    const devices = (await api<DevicesBody>(emu, 'GET', `/admin/accounts/${LAZY}/devices`)).body.devices;
    expect(devices.find((d) => d.id === 0)).toMatchObject({ kind: 'phone', online: true });
    await waitFor('the peer phone receives it', async () => {
      const body = (await api<MessagesBody>(emu, 'GET', `/admin/accounts/${PEER}/messages`)).body;
      return body.received.find((m) => m.id === sent.body.message.id && m.text === 'now from the phone');
    });
  });
});
