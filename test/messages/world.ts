import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { createDispatcher } from '../../src/serve.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';

/**
 * One WUTS with the real Baileys provider, the emulator, a webhook dispatcher and a receiver:
 * the world every end-to-end messages test runs in.
 */
export interface MessagingWorld {
  emu: RunningEmulator;
  t: TestApp;
  receiver: WebhookReceiver;
  dispatcher: ReturnType<typeof createDispatcher>;
  close(): Promise<void>;
}

export async function startWorld(overrides: Partial<Config> = {}): Promise<MessagingWorld> {
  const emu = await startEmulator({ port: 0, logger: pino({ level: process.env.EMULATOR_TEST_LOG ?? 'silent' }) });
  const receiver = await startReceiver();
  const t = await createTestApp({ waWsUrl: emu.wsUrl, allowPrivateWebhooks: true, sendIntervalMs: 0, sendJitterPercent: 0, ...overrides });
  const dispatcher = createDispatcher(t.ctx);
  dispatcher.start();
  return {
    emu,
    t,
    receiver,
    dispatcher,
    async close() {
      await dispatcher.stop();
      await dispatcher.poster.close();
      await t.close();
      await receiver.close();
      await emu.close();
    },
  };
}

export async function emulatorApi<T = Record<string, any>>(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${emu.url}${path}`, { method, headers: body !== undefined ? { 'content-type': 'application/json' } : {}, body: body !== undefined ? JSON.stringify(body) : undefined });
  return { status: res.status, body: (await res.json()) as T };
}

export async function createAccount(emu: RunningEmulator, phone: string, name?: string): Promise<void> {
  const res = await emulatorApi(emu, 'POST', '/admin/accounts', { phone, name });
  if (res.status !== 201) throw new Error(`create account ${phone}: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface TenantWithDevice {
  token: string;
  tenantId: string;
  deviceId: string;
  /** the signing secret of the tenant's webhook (pointed at the world's receiver) */
  webhookSecret: string;
}

/** Registers a tenant with a webhook to the receiver, creates a device and links it to `phone`. */
export async function tenantWithDevice(w: MessagingWorld, phone: string): Promise<TenantWithDevice> {
  const name = `Tenant ${randomBytes(4).toString('hex')}`;
  const reg = await w.t.call('POST', '/register', w.t.masterToken, { tenant_name: name, email: `admin-${randomBytes(4).toString('hex')}@example.test`, password: 'password-123', webhook_url: w.receiver.url });
  expect(reg.statusCode, reg.body).toBe(201);
  const token = reg.json().token as string;
  const created = await w.t.call('POST', '/devices', token, { name: `phone ${phone}` });
  expect(created.statusCode, created.body).toBe(201);
  const deviceId = created.json().device.id as string;
  await linkDevice(w, token, deviceId, phone);
  const hooks = await w.t.call('GET', '/webhooks', token);
  const hookId = hooks.json().webhooks[0].id as string;
  const secret = (await w.t.call('GET', `/webhooks/${hookId}/secret`, token)).json().secret as string;
  return { token, tenantId: reg.json().tenant.id, deviceId, webhookSecret: secret };
}

export async function linkDevice(w: MessagingWorld, token: string, deviceId: string, phone: string): Promise<void> {
  const connect = await w.t.call('POST', `/devices/${deviceId}/connect`, token, {});
  expect(connect.statusCode, connect.body).toBe(200);
  const link = await emulatorApi(w.emu, 'POST', '/admin/link', { qr: connect.json().qr.text, phone });
  expect(link.status, JSON.stringify(link.body)).toBe(200);
  await until(`device ${deviceId} connected`, async () => (await w.t.call('GET', `/devices/${deviceId}`, token)).json().device.status === 'connected');
}

/** The messages an emulator account received and sent, as its admin API shows them. */
export async function accountMessages(w: MessagingWorld, phone: string): Promise<{ received: any[]; sent: any[] }> {
  const res = await emulatorApi<{ received: any[]; sent: any[] }>(w.emu, 'GET', `/admin/accounts/${phone}/messages?limit=500`);
  expect(res.status).toBe(200);
  return res.body;
}

export async function messageOf(w: MessagingWorld, token: string, id: string): Promise<any> {
  const res = await w.t.call('GET', `/messages/${id}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().message;
}

export async function waitForStatus(w: MessagingWorld, token: string, id: string, status: string, timeoutMs = 15_000): Promise<any> {
  return until(`message ${id} ${status}`, async () => {
    const m = await messageOf(w, token, id);
    return m.status === status ? m : null;
  }, timeoutMs);
}
