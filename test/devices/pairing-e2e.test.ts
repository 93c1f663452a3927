import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import { createTestApp, type TestApp } from '../helpers/app.js';

let emu: RunningEmulator;
let t: TestApp;

beforeAll(async () => {
  emu = await startTestEmulator();
  t = await createTestApp({ waWsUrl: emu.wsUrl });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await emu?.close();
}, 60_000);

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const emulatorApi = (method: string, path: string, body?: unknown) => new EmulatorAdminClient(emu).request<Record<string, any>>(method, path, body);

describe('devices end to end by pairing code, through the real Baileys provider and the emulator', () => {
  it('connect with a phone number answers a pairing code; typed on the phone, the device ends connected with that phone and a LID', async () => {
    const phone = '15550008001';
    expect((await emulatorApi('POST', '/admin/accounts', { phone, name: 'Paired phone' })).status).toBe(201);
    const reg = await t.call('POST', '/register', t.masterToken, { tenant_name: 'Pairing Co', email: 'pairing@example.test', password: 'password-123' });
    expect(reg.statusCode, reg.body).toBe(201);
    const token = reg.json().token as string;

    const id = (await t.call('POST', '/devices', token, { name: 'By code' })).json().device.id as string;
    const connect = await t.call('POST', `/devices/${id}/connect`, token, { phone_number: phone });
    expect(connect.statusCode, connect.body).toBe(200);
    const body = connect.json();
    expect(body.device.status).toBe('qr');
    // The answer carries the code (the QR codes that come first are not what it waits for).
    const code: unknown = body.pairing_code;
    expect(body.qr).toBeNull();
    expect(code).toMatch(/^[A-Z0-9]{8}$/);

    const pair = await emulatorApi('POST', '/admin/pair', { phone, code });
    expect(pair.status, JSON.stringify(pair.body)).toBe(200);
    expect(pair.body.device).toMatchObject({ kind: 'companion', jid: expect.stringMatching(new RegExp(`^${phone}:\\d+@s\\.whatsapp\\.net$`)) });

    const device = await until(`device ${id} connected`, async () => {
      const d = (await t.call('GET', `/devices/${id}`, token)).json().device;
      return d.status === 'connected' ? d : null;
    });
    expect(device).toMatchObject({ status: 'connected', phone, jid: pair.body.device.jid, lid: expect.stringMatching(/@lid$/), reason: null });
    const account = (await emulatorApi('GET', `/admin/accounts/${phone}`)).body.account;
    expect(device.lid).toBe(account.lid);
    const devices = (await emulatorApi('GET', `/admin/accounts/${phone}/devices`)).body.devices as { jid: string; online: boolean }[];
    expect(devices.find((d) => d.jid === device.jid)).toMatchObject({ online: true });
  });
});
