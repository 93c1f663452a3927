import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';
import { startTcpProxy, type TcpProxy } from './crash-helpers.js';

/**
 * One WUTS with the real Baileys provider, the emulator, a webhook dispatcher and a receiver:
 * the world every end-to-end messages test runs in.
 */
export interface MessagingWorld {
  emu: RunningEmulator;
  /** the TCP proxy WUTS reaches the emulator through, when startWorld was asked for one */
  proxy?: TcpProxy;
  t: TestApp;
  receiver: WebhookReceiver;
  /** the webhook secrets of the tenants tenantWithDevice made; the receiver verifies against all of them */
  secrets: string[];
  close(): Promise<void>;
}

export async function startWorld(overrides: Partial<Config> = {}, options: { proxy?: boolean } = {}): Promise<MessagingWorld> {
  const emu = await startTestEmulator();
  // a session belongs to the endpoint it was linked on: a proxied world links through the proxy
  const proxy = options.proxy ? await startTcpProxy(Number(new URL(emu.url).port)) : undefined;
  const receiver = await startReceiver();
  const t = await createTestApp(
    {
      waWsUrl: proxy?.wsUrl ?? emu.wsUrl,
      // media go to and come from the emulator's HTTPS media host, trusted by its own certificate
      waMediaHost: new URL(emu.mediaUrl).host,
      waMediaCaPem: emu.mediaCaPem,
      allowPrivateWebhooks: true,
      sendIntervalMs: 0,
      sendJitterPercent: 0,
      ...overrides,
    },
    {},
    { dispatcher: true },
  );
  return {
    emu,
    ...(proxy ? { proxy } : {}),
    t,
    receiver,
    secrets: [],
    async close() {
      await t.close();
      await proxy?.close();
      await receiver.close();
      await emu.close();
    },
  };
}

/** Any emulator admin call, answered as it came (status and body), through the package's admin client. */
export function emulatorApi<T = Record<string, any>>(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return new EmulatorAdminClient(emu).request<T>(method, path, body);
}

export async function createAccount(emu: RunningEmulator, phone: string, name?: string): Promise<void> {
  await new EmulatorAdminClient(emu).createAccount(phone, name);
}

export interface TenantWithDevice {
  token: string;
  tenantId: string;
  deviceId: string;
  /** the signing secret of the tenant's webhook (pointed at the world's receiver, which verifies with it) */
  webhookSecret: string;
}

/**
 * Registers a tenant, gives it a webhook to the receiver (every event) whose secret the
 * receiver verifies against from the first request on, creates a device and links it to `phone`.
 */
export async function tenantWithDevice(w: MessagingWorld, phone: string): Promise<TenantWithDevice> {
  const name = `Tenant ${randomBytes(4).toString('hex')}`;
  const reg = await w.t.call('POST', '/register', w.t.masterToken, {
    tenant_name: name,
    email: `admin-${randomBytes(4).toString('hex')}@example.test`,
    password: 'password-123',
  });
  expect(reg.statusCode, reg.body).toBe(201);
  const token = reg.json().token as string;
  const hook = await w.t.call('POST', '/webhooks', token, { url: w.receiver.url, description: 'e2e receiver' });
  expect(hook.statusCode, hook.body).toBe(201);
  const secretRes = await w.t.call('GET', `/webhooks/${hook.json().webhook.id}/secret`, token);
  expect(secretRes.statusCode, secretRes.body).toBe(200);
  const secret = secretRes.json().secret as string;
  // before anything of this tenant is delivered: every request verifies against the secrets of the world's tenants
  w.secrets.push(secret);
  w.receiver.setSecrets(...w.secrets);
  const created = await w.t.call('POST', '/devices', token, { name: `phone ${phone}` });
  expect(created.statusCode, created.body).toBe(201);
  const deviceId = created.json().device.id as string;
  await linkDevice(w, token, deviceId, phone);
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
  return until(
    `message ${id} ${status}`,
    async () => {
      const m = await messageOf(w, token, id);
      return m.status === status ? m : null;
    },
    timeoutMs,
  );
}

/* ------------------------------------------------------------------------------------------
 * Helpers for the end-to-end suites (e2e-*.test.ts).
 * ---------------------------------------------------------------------------------------- */

/** The phone-number JID WUTS uses for a one-to-one chat. */
export const jidOf = (phone: string): string => `${phone}@s.whatsapp.net`;

/** POST /devices/{id}/messages; expects 202 and answers the queued message. */
export async function sendMessage(
  w: MessagingWorld,
  token: string,
  deviceId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<any> {
  const res = await w.t.call('POST', `/devices/${deviceId}/messages`, token, body, headers);
  expect(res.statusCode, res.body).toBe(202);
  const msg = res.json().message;
  expect(msg.status).toBe('queued');
  return msg;
}

/** A chat's stored messages, oldest first (edits and deletes are applied, not listed). */
export async function chatHistory(w: MessagingWorld, token: string, deviceId: string, chat: string): Promise<any[]> {
  const res = await w.t.call('GET', `/devices/${deviceId}/chats/${chat}/messages?direction=newer&limit=500`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().messages;
}

/** Polls a chat's history until a message matches; answers it. */
export async function waitForStored(
  w: MessagingWorld,
  token: string,
  deviceId: string,
  chat: string,
  what: string,
  match: (m: any) => boolean,
  timeoutMs = 15_000,
): Promise<any> {
  return until(what, async () => (await chatHistory(w, token, deviceId, chat)).find(match), timeoutMs);
}

/** Sends from an emulator account's phone (POST /admin/accounts/:phone/messages); answers the sent record. */
export async function phoneSend(w: MessagingWorld, phone: string, body: Record<string, unknown>): Promise<any> {
  const res = await emulatorApi(w.emu, 'POST', `/admin/accounts/${phone}/messages`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.message.status, JSON.stringify(res.body.message)).not.toBe('failed');
  return res.body.message;
}

/** POST /admin/accounts/:phone/messages/:id/(react|edit|delete|vote); answers {action_id, direction, message}. */
export async function phoneAction(
  w: MessagingWorld,
  phone: string,
  waId: string,
  action: 'react' | 'edit' | 'delete' | 'vote',
  body?: Record<string, unknown>,
): Promise<any> {
  const res = await emulatorApi(w.emu, 'POST', `/admin/accounts/${phone}/messages/${waId}/${action}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Waits until an emulator account's received record `waId` exists (and matches); answers it. */
export async function waitForReceivedBy(
  w: MessagingWorld,
  phone: string,
  waId: string,
  match: (m: any) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<any> {
  return until(`${phone} received ${waId}`, async () => (await accountMessages(w, phone)).received.find((m) => m.id === waId && match(m)), timeoutMs);
}

/** Waits until an emulator account's sent record `waId` matches; answers it. */
export async function waitForSentBy(w: MessagingWorld, phone: string, waId: string, match: (m: any) => boolean, timeoutMs = 15_000): Promise<any> {
  return until(`${phone} sent record ${waId}`, async () => (await accountMessages(w, phone)).sent.find((m) => m.id === waId && match(m)), timeoutMs);
}

/** The receiver's requests of one event type (and matching `match`), one per distinct event id, in arrival order. */
export function eventsOf(w: MessagingWorld, type: string, match: (data: any) => boolean = () => true): ReceivedRequest[] {
  const seen = new Set<string>();
  const out: ReceivedRequest[] = [];
  for (const r of w.receiver.requests) {
    if (r.payload?.type !== type || !match(r.payload.data)) continue;
    const id = r.webhookId ?? String(r.seq);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(r);
  }
  return out;
}

/** Waits for a webhook of `type` whose data matches; checks it verified with standardwebhooks and answers its payload. */
export async function waitForEvent(w: MessagingWorld, type: string, match: (data: any) => boolean, what = type, timeoutMs = 15_000): Promise<any> {
  const req = await until(`webhook ${what}`, () => eventsOf(w, type, match)[0], timeoutMs);
  expect(req.verified, `${type} webhook did not verify: ${req.verifyError}`).toBe(true);
  expect(req.payload!.id).toBe(req.webhookId);
  return req.payload;
}

/** The message's status changes as message.status webhooks told them, in arrival order. */
export function statusEvents(w: MessagingWorld, messageId: string): any[] {
  return eventsOf(w, 'message.status', (d) => d.message_id === messageId).map((r) => r.payload!.data);
}

export async function deviceStatus(w: MessagingWorld, token: string, deviceId: string): Promise<string> {
  const res = await w.t.call('GET', `/devices/${deviceId}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().device.status;
}

/** POST /devices/{id}/disconnect and waits until the device shows disconnected. */
export async function disconnectDevice(w: MessagingWorld, token: string, deviceId: string): Promise<void> {
  const res = await w.t.call('POST', `/devices/${deviceId}/disconnect`, token, {});
  expect(res.statusCode, res.body).toBe(200);
  await until(`device ${deviceId} disconnected`, async () => (await deviceStatus(w, token, deviceId)) === 'disconnected');
}

/** POST /devices/{id}/connect on a linked device: it logs in from its stored session (no QR) and connects. */
export async function reconnectDevice(w: MessagingWorld, token: string, deviceId: string): Promise<void> {
  const res = await w.t.call('POST', `/devices/${deviceId}/connect`, token, {});
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().qr, 'a linked device must not ask for a QR again').toBeNull();
  expect(res.json().pairing_code).toBeNull();
  await until(`device ${deviceId} connected again`, async () => (await deviceStatus(w, token, deviceId)) === 'connected');
}

/** The rows behind a message's status_history, with the milliseconds the API's second-precision `at` drops. */
export async function statusRows(w: MessagingWorld, tenantId: string, messageId: string): Promise<Array<{ status: string; at: number }>> {
  const rows = await w.t.deps.db.kysely
    .selectFrom('message_statuses')
    .select(['status', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('message_id', '=', messageId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ status: r.status, at: Date.parse(String(r.created_at)) }));
}

/** The account's linked companion devices (the WUTS device among them) as the emulator sees them: online, stanzas queued. */
export async function companions(w: MessagingWorld, phone: string): Promise<Array<{ id: number; online: boolean; queued: number }>> {
  const res = await emulatorApi<{ devices: Array<{ id: number; kind: string; online: boolean; queued: number }> }>(
    w.emu,
    'GET',
    `/admin/accounts/${phone}/devices`,
  );
  expect(res.status).toBe(200);
  return res.body.devices.filter((d) => d.kind === 'companion');
}

const PROGRESS = ['queued', 'sent', 'delivered', 'read'];

/** Waits until an outbound message reached `status` or a later step (queued → sent → delivered → read); answers it. */
export async function waitForAtLeast(w: MessagingWorld, token: string, id: string, status: 'sent' | 'delivered' | 'read', timeoutMs = 15_000): Promise<any> {
  return until(
    `message ${id} at least ${status}`,
    async () => {
      const m = await messageOf(w, token, id);
      return PROGRESS.indexOf(m.status) >= PROGRESS.indexOf(status) ? m : null;
    },
    timeoutMs,
  );
}
