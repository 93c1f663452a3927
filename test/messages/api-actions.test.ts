import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeInbound } from '../../src/messages/inbound-store.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { createDevice, expectError, jidOf, phone } from './api-helpers.js';

/**
 * POST /devices/{id}/read, /check-numbers and /presence talk to WhatsApp at once: on a device
 * that is not connected they answer 409 device_not_connected; their input rules hold first.
 */

let t: TestApp;
let tenant: TenantFixture;
let agent: UserFixture;
let deviceId: string;
const PEER = phone();
const PEER_JID = jidOf(PEER);

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  agent = await createUser(t, tenant, 'agent');
  deviceId = await createDevice(t, tenant.adminToken);
  await storeInbound(
    t.deps,
    tenant.tenantId,
    deviceId,
    [1, 2].map((n) => ({
      chatJid: PEER_JID,
      waId: `UNREAD${n}`,
      fromMe: false,
      senderJid: PEER_JID,
      pushName: 'Peer',
      timestamp: new Date().toISOString(),
      content: { type: 'text' as const, text: `unread ${n}` },
      quotedWaId: null,
      targetWaId: null,
      offline: false,
    })),
  );
});
afterAll(async () => {
  await t?.close();
});

const post = (path: string, body: unknown, token = agent.token) => t.call('POST', `/devices/${deviceId}/${path}`, token, body);

describe('on a device that is not connected: 409 device_not_connected', () => {
  it.each([
    ['read a chat', 'read', { chat: PEER }],
    ['read named messages', 'read', { chat: PEER_JID, message_ids: ['01890000-0000-7000-8000-000000000001'] }],
    ['check numbers', 'check-numbers', { numbers: [PEER, `+${phone()}`] }],
    ['check numbers as people write them', 'check-numbers', { numbers: ['+1 555 000 1111', '(11) 98765-4321', '1.555.000.2222'] }],
    ['check 50 numbers', 'check-numbers', { numbers: Array.from({ length: 50 }, () => phone()) }],
    ['presence available', 'presence', { state: 'available' }],
    ['presence unavailable', 'presence', { state: 'unavailable' }],
    ['presence typing', 'presence', { state: 'typing', chat: PEER }],
    ['presence recording', 'presence', { state: 'recording', chat: PEER_JID }],
    ['presence paused', 'presence', { state: 'paused', chat: PEER }],
  ])('%s', async (_name, path, body) => {
    expectError(await post(path, body), 409, 'device_not_connected');
  });

  it('for a device that was connected once and is now disconnected or logged out too', async () => {
    for (const status of ['disconnected', 'logged_out', 'connected'] as const) {
      // the database may say anything: what counts is a live session on this node
      const dev = await createDevice(t, tenant.adminToken);
      await t.deps.db.kysely.updateTable('devices').set({ status }).where('id', '=', dev).execute();
      expectError(await t.call('POST', `/devices/${dev}/read`, agent.token, { chat: PEER }), 409, 'device_not_connected');
      expectError(await t.call('POST', `/devices/${dev}/presence`, agent.token, { state: 'available' }), 409, 'device_not_connected');
      expectError(await t.call('POST', `/devices/${dev}/check-numbers`, agent.token, { numbers: [PEER] }), 409, 'device_not_connected');
    }
  });

  it('a refused read marks nothing read', async () => {
    expectError(await post('read', { chat: PEER }), 409, 'device_not_connected');
    const chats = (await t.call('GET', `/devices/${deviceId}/chats`, agent.token)).json().chats;
    expect(chats.map((c: { jid: string; unread_count: number }) => [c.jid, c.unread_count])).toEqual([[PEER_JID, 2]]);
    const history = (await t.call('GET', `/devices/${deviceId}/chats/${PEER}/messages`, agent.token)).json().messages;
    expect(history.map((m: { status: string }) => m.status)).toEqual(['received', 'received']);
  });

  it('refused check-numbers calls do not use up the per-minute limit (never 429)', async () => {
    // WUTS_CHECK_NUMBERS_PER_MINUTE is 10 by default
    for (let i = 0; i < 12; i++) expectError(await post('check-numbers', { numbers: [PEER] }), 409, 'device_not_connected');
  });

  it('refused number checks store no contacts', async () => {
    const fresh = phone();
    expectError(await post('check-numbers', { numbers: [fresh] }), 409, 'device_not_connected');
    const contacts = (await t.call('GET', `/devices/${deviceId}/contacts?limit=500`, agent.token)).json().contacts;
    expect(contacts.map((c: { jid: string }) => c.jid)).toEqual([PEER_JID]);
  });
});

describe('presence input', () => {
  it.each(['typing', 'recording', 'paused'])('%s without chat: 400 missing_field', async (state) => {
    expectError(await post('presence', { state }), 400, 'missing_field');
  });
  it.each(['available', 'unavailable'])('%s with a chat: 400 field_not_allowed', async (state) => {
    expectError(await post('presence', { state, chat: PEER }), 400, 'field_not_allowed');
  });
  it.each([
    ['an unknown state', { state: 'online' }, 'invalid_request'],
    ['no state', { chat: PEER }, 'invalid_request'],
    ['an unknown field', { state: 'available', seconds: 5 }, 'invalid_request'],
    ['a chat that is not a number or JID', { state: 'typing', chat: 'bob' }, 'invalid_recipient'],
    ['a chat that is no group JID', { state: 'typing', chat: 'abc@g.us' }, 'invalid_recipient'],
  ])('%s: 400', async (_name, body, code) => {
    expectError(await post('presence', body), 400, code);
  });
});

describe('check-numbers input', () => {
  it('51 numbers: 400', async () => {
    expectError(await post('check-numbers', { numbers: Array.from({ length: 51 }, () => phone()) }), 400, 'invalid_request');
  });
  it.each([
    ['no numbers', { numbers: [] }],
    ['no field', {}],
    ['a name', { numbers: ['bob'] }],
    ['a JID', { numbers: [PEER_JID] }],
    ['a number too short', { numbers: ['12345'] }],
    ['a number too short once its punctuation is dropped', { numbers: ['+1 (23) 4-5'] }],
    ['a number with a leading zero', { numbers: ['+0 555 000 1111'] }],
    ['a number as a JSON number', { numbers: [15550001111] }],
    ['an unknown field', { numbers: [PEER], force: true }],
  ])('%s: 400', async (_name, body) => {
    expectError(await post('check-numbers', body), 400, 'invalid_request');
  });
  it('a number that is none is named, with the form expected', async () => {
    const form = 'a phone number with the country code (such as 5511987654321; +, spaces, dashes, dots and parentheses are ignored)';
    expect((await post('check-numbers', { numbers: [PEER, 'bob'] })).json().error).toBe(`field "numbers[1]" must be ${form}`);
    expect((await post('check-numbers', { numbers: [PEER, '+55 (11) 9'] })).json().error).toBe(`field "numbers[1]" must be ${form}`);
  });
});

describe('read input', () => {
  it.each([
    ['no chat', {}, 'invalid_request'],
    ['101 message ids', { chat: PEER, message_ids: Array.from({ length: 101 }, () => '01890000-0000-7000-8000-000000000001') }, 'invalid_request'],
    ['an empty list of ids', { chat: PEER, message_ids: [] }, 'invalid_request'],
    ['ids that are not UUIDs', { chat: PEER, message_ids: ['abc'] }, 'invalid_request'],
    ['an unknown field', { chat: PEER, all: true }, 'invalid_request'],
    ['a chat that is not a number or JID', { chat: 'bob' }, 'invalid_recipient'],
    ['a chat that is no group JID', { chat: 'abc@g.us' }, 'invalid_recipient'],
  ])('%s: 400', async (_name, body, code) => {
    expectError(await post('read', body), 400, code);
  });
});
