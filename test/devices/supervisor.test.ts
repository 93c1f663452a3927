import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { until } from '../helpers/wait.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let stateDir: string;
let emu: RunningEmulator;
let emuPort: number;
let t: TestApp;
let call: TestApp['call'];
let tenant: TenantFixture;

const startEmu = (port = 0) => startTestEmulator({ port, statePath: path.join(stateDir, 'emu.json') });

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-sup-'));
  emu = await startEmu();
  emuPort = Number(new URL(emu.url).port);
  // Short QR codes, so that expiry shows in seconds.
  t = await createTestApp({ waWsUrl: emu.wsUrl }, { whatsapp: { qrTimeoutMs: 400 } });
  call = t.call;
  tenant = await createTenant(t);
}, 60_000);

afterAll(async () => {
  await t.close();
  await emu.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

const deviceOf = async (id: string) => (await call('GET', `/devices/${id}`, tenant.adminToken)).json().device;
const eventsOf = async (id: string, type: string) =>
  (await t.deps.db.kysely.selectFrom('events').select('data_json').where('device_id', '=', id).where('type', '=', type).execute()).map((e) =>
    JSON.parse(e.data_json),
  );

describe('the device supervisor', () => {
  it('reports an expired QR code once instead of looping', async () => {
    const id = (await call('POST', '/devices', tenant.adminToken, { name: 'never scanned' })).json().device.id;
    expect((await call('POST', `/devices/${id}/connect`, tenant.adminToken, {})).json().device.status).toBe('qr');
    const expired = await until('qr expired', async () => {
      const d = await deviceOf(id);
      return d.status === 'disconnected' ? d : null;
    });
    expect(expired.reason).toMatch(/^qr_expired: /);
    expect(t.workers.devices.isRunning(id)).toBe(false);
    const shown = (await eventsOf(id, 'device.qr')).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(10);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await eventsOf(id, 'device.qr')).toHaveLength(shown);
    expect((await deviceOf(id)).status).toBe('disconnected');
  });

  it('reconnects by itself after the connection is lost, and follows a tenant suspension', async () => {
    const phone = '15550003001';
    await new EmulatorAdminClient(emu).createAccount(phone);
    const id = (await call('POST', '/devices', tenant.adminToken, { name: 'resilient' })).json().device.id;
    const qr = (await call('POST', `/devices/${id}/connect`, tenant.adminToken, {})).json().qr.text;
    await new EmulatorAdminClient(emu).link(qr, phone);
    await until('connected', async () => (await deviceOf(id)).status === 'connected');

    // WhatsApp goes away: the device is disconnected with the reason, and comes back with the server.
    const qrsWhileLinking = (await eventsOf(id, 'device.qr')).length;
    await emu.close();
    const lost = await until('disconnected', async () => {
      const d = await deviceOf(id);
      return d.status === 'disconnected' || d.status === 'connecting' ? d : null;
    });
    expect(['disconnected', 'connecting']).toContain(lost.status);
    const [disconnected] = await until('device.disconnected event', async () => {
      const events = await eventsOf(id, 'device.disconnected');
      return events.length === 1 ? events : null;
    });
    expect(disconnected).toMatchObject({ device_id: id, status: 'disconnected', reason: expect.stringMatching(/^connection lost: /) });
    expect(t.workers.devices.isRunning(id)).toBe(true);
    emu = await startEmu(emuPort);
    const back = await until(
      'reconnected',
      async () => {
        const d = await deviceOf(id);
        return d.status === 'connected' ? d : null;
      },
      30_000,
    );
    expect(back.phone).toBe(phone);
    expect(await eventsOf(id, 'device.qr')).toHaveLength(qrsWhileLinking); // back from the stored session, no new QR
    expect((await eventsOf(id, 'device.connected')).length).toBe(2);

    // A suspended tenant's devices disconnect, and reconnect when it is reactivated.
    await call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: false });
    expect((await call('GET', `/devices/${id}`, tenant.adminToken)).statusCode).toBe(403);
    const suspended = await t.deps.db.kysely.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(suspended).toMatchObject({ status: 'disconnected', reason: 'tenant suspended' });
    expect(t.workers.devices.isRunning(id)).toBe(false);
    await call('PUT', `/tenants/${tenant.tenantId}`, t.masterToken, { active: true });
    await until('reconnected after reactivation', async () => (await deviceOf(id)).status === 'connected');
  }, 90_000);
});
