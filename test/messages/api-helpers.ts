import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { nowIso } from '../../src/lib/time.js';
import { insertMessage } from '../../src/messages/repo.js';
import type { MessageRow } from '../../src/messages/view.js';
import type { TestApp } from '../helpers/app.js';
import { RFC3339, UUID_V7 } from '../helpers/assertions.js';

/**
 * Helpers of the API-level messages tests (test/messages/api-*.test.ts): no WhatsApp, a device
 * that was created but never connected, which accepts messages and keeps them `queued`.
 */

export { expectError, RFC3339, UUID_V7 } from '../helpers/assertions.js';

/** WhatsApp Web's message id form, as WUTS assigns it at accept time. */
export const WA_ID = /^3EB0[0-9A-F]{18}$/;

/** A phone number that is not anyone's, unique per call. */
export function phone(): string {
  return '1555' + String(randomBytes(4).readUInt32BE(0) % 10_000_000).padStart(7, '0');
}

export const jidOf = (digits: string) => `${digits}@s.whatsapp.net`;

export async function createDevice(t: TestApp, adminToken: string, name = `phone ${randomBytes(3).toString('hex')}`): Promise<string> {
  const res = await t.call('POST', '/devices', adminToken, { name });
  expect(res.statusCode, res.body).toBe(201);
  const device = res.json().device;
  expect(device.status).toBe('created');
  return device.id as string;
}

export function send(
  t: TestApp,
  token: string | undefined,
  deviceId: string,
  body: unknown,
  headers?: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return t.call('POST', `/devices/${deviceId}/messages`, token, body, headers);
}

/** Sends and expects 202; answers the message view. */
export async function sendOk(t: TestApp, token: string, deviceId: string, body: unknown, headers?: Record<string, string>): Promise<ApiMessage> {
  const res = await send(t, token, deviceId, body, headers);
  expect(res.statusCode, res.body).toBe(202);
  const json = res.json();
  expect(Object.keys(json).sort()).toEqual(['message', 'success']);
  expect(json.success).toBe(true);
  return json.message as ApiMessage;
}

export type ApiMessage = Record<string, any> & { id: string; wa_id: string; status: string; chat_jid: string };

/**
 * The whole view of an outbound message just accepted: every field, exactly (ids and times by
 * their form). `ttlSeconds` is the time to live it was accepted with.
 */
export function expectQueuedView(
  message: ApiMessage,
  expected: {
    deviceId: string;
    chatJid: string;
    type: string;
    content: Record<string, unknown>;
    quoted?: { id: string; wa_id: string } | undefined;
    target?: { id: string; wa_id: string } | undefined;
    ttlSeconds?: number | undefined;
  },
): void {
  expect(message).toEqual({
    id: expect.stringMatching(UUID_V7),
    device_id: expected.deviceId,
    chat_jid: expected.chatJid,
    wa_id: expect.stringMatching(WA_ID),
    direction: 'outbound',
    sender_jid: null,
    sender: null,
    recipient: expected.chatJid.endsWith('@g.us')
      ? null
      : {
          jid: expected.chatJid,
          phone: expected.chatJid.endsWith('@s.whatsapp.net') ? expected.chatJid.split('@')[0] : null,
          lid: expected.chatJid.endsWith('@lid') ? expected.chatJid : null,
        },
    type: expected.type,
    content: expected.content,
    quoted_message_id: expected.quoted?.id ?? null,
    quoted_wa_id: expected.quoted?.wa_id ?? null,
    target_message_id: expected.target?.id ?? null,
    target_wa_id: expected.target?.wa_id ?? null,
    status: 'queued',
    reason: null,
    attempts: 0,
    wa_timestamp: null,
    edited_at: null,
    deleted_at: null,
    expires_at: expect.stringMatching(RFC3339),
    created_at: expect.stringMatching(RFC3339),
    updated_at: expect.stringMatching(RFC3339),
  });
  expect(message.updated_at).toBe(message.created_at);
  // accepted now, not at some other time
  expect(Math.abs(Date.parse(message.created_at) - Date.now())).toBeLessThan(60_000);
  // expires_at = created_at + ttl, both to the second from the same instant
  expect(Date.parse(message.expires_at) - Date.parse(message.created_at)).toBe((expected.ttlSeconds ?? 86_400) * 1000);
}

/** Inserts a message row straight into the database (an inbound message, or any row a test needs), as the inbound store would. */
export async function insertRow(
  t: TestApp,
  tenantId: string,
  deviceId: string,
  fields: Partial<Omit<MessageRow, 'tenant_id' | 'device_id'>> & { chat_jid: string },
): Promise<Omit<MessageRow, 'tenant_id'>> {
  const at = fields.created_at ?? nowIso();
  const fromMe = fields.from_me ?? false;
  const row: Omit<MessageRow, 'tenant_id'> = {
    id: newId(),
    device_id: deviceId,
    wa_id: randomBytes(10).toString('hex').toUpperCase(),
    from_me: fromMe,
    sender_jid: fromMe ? null : fields.chat_jid,
    type: 'text',
    content_json: JSON.stringify({ type: fields.type ?? 'text', text: 'hello' }),
    quoted_wa_id: null,
    quoted_message_id: null,
    target_wa_id: null,
    target_message_id: null,
    status: fromMe ? 'sent' : 'received',
    reason: null,
    attempts: 0,
    next_attempt_at: null,
    expires_at: null,
    created_by: null,
    wa_timestamp: at,
    edited_at: null,
    deleted_at: null,
    created_at: at,
    updated_at: at,
    ...fields,
  };
  await insertMessage(t.deps.db.kysely, tenantId, row);
  return row;
}

export async function getMessage(
  t: TestApp,
  token: string,
  id: string,
): Promise<ApiMessage & { status_history: { status: string; reason: string | null; at: string }[] }> {
  const res = await t.call('GET', `/messages/${id}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().message;
}

/** Every message of a chat, walking its history newest first. */
export async function chatHistory(t: TestApp, token: string, deviceId: string, chat: string): Promise<ApiMessage[]> {
  const all: ApiMessage[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res = await t.call('GET', `/devices/${deviceId}/chats/${encodeURIComponent(chat)}/messages?limit=500${cursor ? `&cursor=${cursor}` : ''}`, token);
    expect(res.statusCode, res.body).toBe(200);
    all.push(...res.json().messages);
    cursor = res.json().next_cursor;
    if (!cursor) return all;
  }
  throw new Error('history did not end');
}

/** The `message.status` events stored for a message, oldest first. */
export async function statusEvents(t: TestApp, tenantId: string, messageId: string): Promise<{ device_id: string | null; data: Record<string, unknown> }[]> {
  const rows = await t.deps.db.kysely
    .selectFrom('events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('type', '=', 'message.status')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ device_id: r.device_id, data: JSON.parse(r.data_json) as Record<string, unknown> })).filter((e) => e.data.message_id === messageId);
}

export async function setDeviceStatus(t: TestApp, deviceId: string, status: 'logged_out' | 'disconnected' | 'created'): Promise<void> {
  await t.deps.db.kysely.updateTable('devices').set({ status }).where('id', '=', deviceId).execute();
}
