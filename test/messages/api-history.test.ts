import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeInbound } from '../../src/messages/inbound-store.js';
import type { InboundMessage } from '../../src/whatsapp/messages.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { createDevice, expectError, insertRow, jidOf, phone, RFC3339, sendOk, UUID_V7, type ApiMessage } from './api-helpers.js';

/**
 * GET /devices/{id}/chats/{chat}/messages (keyset on the message id, both directions),
 * GET /devices/{id}/chats (most recently active first, with unread counts) and
 * GET /devices/{id}/contacts, filled without WhatsApp: rows inserted the way the inbound
 * store and the send route write them.
 */

let t: TestApp;
let tenant: TenantFixture;
let viewer: UserFixture;
let deviceId: string;
const PEER = phone();
const PEER_JID = jidOf(PEER);
const TOTAL = 120;
/** ids of the chat's timeline, oldest first */
const timeline: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  viewer = await createUser(t, tenant, 'viewer');
  deviceId = await createDevice(t, tenant.adminToken);
  const otherDevice = await createDevice(t, tenant.adminToken);
  for (let i = 0; i < TOTAL; i++) {
    const fromMe = i % 3 === 0;
    const row = await insertRow(t, tenant.tenantId, deviceId, {
      chat_jid: PEER_JID,
      from_me: fromMe,
      content_json: JSON.stringify({ type: 'text', text: `m${i}` }),
    });
    timeline.push(row.id);
    if (i === 40) {
      // an edit and a delete of ours are applied to their targets, not listed
      await insertRow(t, tenant.tenantId, deviceId, {
        chat_jid: PEER_JID,
        from_me: true,
        type: 'edit',
        content_json: JSON.stringify({ type: 'edit', text: 'changed' }),
        target_message_id: timeline[39]!,
      });
      await insertRow(t, tenant.tenantId, deviceId, {
        chat_jid: PEER_JID,
        from_me: true,
        type: 'delete',
        content_json: JSON.stringify({ type: 'delete' }),
        target_message_id: timeline[38]!,
      });
    }
    // noise: another chat of the device, and the same chat on another device
    if (i % 10 === 0) {
      await insertRow(t, tenant.tenantId, deviceId, { chat_jid: jidOf(phone()) });
      await insertRow(t, tenant.tenantId, otherDevice, { chat_jid: PEER_JID });
    }
  }
  // newId() is strictly increasing within a process
  expect([...timeline].sort()).toEqual(timeline);
});
afterAll(async () => {
  await t?.close();
});

const historyUrl = (query: string, chat = PEER) => `/devices/${deviceId}/chats/${encodeURIComponent(chat)}/messages${query ? `?${query}` : ''}`;

async function walk(query: string, expectedPages: number[]): Promise<ApiMessage[]> {
  const seen: ApiMessage[] = [];
  let cursor: string | null = null;
  const sizes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await t.call('GET', historyUrl([query, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&')), viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['messages', 'next_cursor', 'success']);
    sizes.push(body.messages.length);
    seen.push(...body.messages);
    cursor = body.next_cursor;
    if (cursor === null) break;
    expect(typeof cursor).toBe('string');
  }
  expect(sizes).toEqual(expectedPages);
  return seen;
}

describe("a chat's history", () => {
  it('newest first by default, pages of 50: every message exactly once, in order, next_cursor null at the end', async () => {
    const seen = await walk('', [50, 50, 20]);
    expect(seen.map((m) => m.id)).toEqual([...timeline].reverse());
    expect(seen.map((m) => m.content.text)).toEqual(Array.from({ length: TOTAL }, (_, i) => `m${TOTAL - 1 - i}`));
  });

  it('direction=older is the default spelled out', async () => {
    const seen = await walk('direction=older&limit=50', [50, 50, 20]);
    expect(seen.map((m) => m.id)).toEqual([...timeline].reverse());
  });

  it('direction=newer: oldest first, every message exactly once', async () => {
    const seen = await walk('direction=newer', [50, 50, 20]);
    expect(seen.map((m) => m.id)).toEqual(timeline);
  });

  it('a page size that divides the total: no empty last page', async () => {
    expect((await walk('limit=40', [40, 40, 40])).map((m) => m.id)).toEqual([...timeline].reverse());
    expect((await walk('limit=60&direction=newer', [60, 60])).map((m) => m.id)).toEqual(timeline);
    expect((await walk('limit=120', [120])).length).toBe(TOTAL);
    expect((await walk('limit=500', [120])).length).toBe(TOTAL);
  });

  it('a cursor from one direction continues from the same message in the other', async () => {
    const first = (await t.call('GET', historyUrl('limit=50'), viewer.token)).json();
    // the 50th newest is the 71st oldest: newer than it are the 49 after it
    const newer = (await t.call('GET', historyUrl(`direction=newer&cursor=${first.next_cursor}`), viewer.token)).json();
    expect(newer.messages.map((m: ApiMessage) => m.id)).toEqual(timeline.slice(71));
    expect(newer.next_cursor).toBeNull();
  });

  it('the rows, as the view shows them: inbound and outbound, edits and deletes not listed', async () => {
    const all = await walk('limit=500&direction=newer', [120]);
    expect(all.every((m) => m.type === 'text')).toBe(true);
    expect(all.filter((m) => m.direction === 'outbound')).toHaveLength(40);
    const inbound = all[1]!;
    expect(inbound).toEqual({
      id: timeline[1],
      device_id: deviceId,
      chat_jid: PEER_JID,
      wa_id: expect.any(String),
      direction: 'inbound',
      sender_jid: PEER_JID,
      sender: { jid: PEER_JID, phone: PEER_JID.split('@')[0], lid: null },
      recipient: null,
      type: 'text',
      content: { text: 'm1' },
      quoted_message_id: null,
      quoted_wa_id: null,
      target_message_id: null,
      target_wa_id: null,
      status: 'received',
      reason: null,
      attempts: 0,
      wa_timestamp: expect.stringMatching(RFC3339),
      edited_at: null,
      deleted_at: null,
      expires_at: null,
      created_at: expect.stringMatching(RFC3339),
      updated_at: expect.stringMatching(RFC3339),
    });
  });

  it('the chat as a JID, as +digits and as digits is the same chat', async () => {
    const byDigits = (await t.call('GET', historyUrl('limit=5'), viewer.token)).json();
    for (const chat of [PEER_JID, `+${PEER}`, `${PEER}:3@s.whatsapp.net`]) {
      expect((await t.call('GET', historyUrl('limit=5', chat), viewer.token)).json()).toEqual(byDigits);
    }
  });

  it('a chat without messages: an empty page', async () => {
    expect((await t.call('GET', historyUrl('', phone()), viewer.token)).json()).toEqual({ success: true, messages: [], next_cursor: null });
  });

  it.each([
    ['not base64 of an id', 'garbage'],
    ['base64 of something else', Buffer.from('hello world').toString('base64url')],
    ['an id that is not a UUID', Buffer.from('01890000-0000-7000-8000-00000000000').toString('base64url')],
  ])('a bad cursor (%s): 400 invalid_cursor', async (_name, cursor) => {
    expectError(await t.call('GET', historyUrl(`cursor=${encodeURIComponent(cursor)}`), viewer.token), 400, 'invalid_cursor');
    expectError(await t.call('GET', historyUrl(`direction=newer&cursor=${encodeURIComponent(cursor)}`), viewer.token), 400, 'invalid_cursor');
  });

  it.each([
    ['limit 0', 'limit=0'],
    ['limit 501', 'limit=501'],
    ['limit not a number', 'limit=ten'],
    ['an unknown direction', 'direction=sideways'],
    ['an unknown parameter', 'order=asc'],
    ['a cursor over 200 characters', `cursor=${'A'.repeat(201)}`],
  ])('%s: 400 invalid_request', async (_name, query) => {
    expectError(await t.call('GET', historyUrl(query), viewer.token), 400, 'invalid_request');
  });

  it.each([
    ['a name', 'bob', 'invalid_recipient'],
    ['no group JID', 'abc@g.us', 'invalid_recipient'],
  ])('a chat that is %s: 400 %s', async (_name, chat, code) => {
    expectError(await t.call('GET', historyUrl('', chat), viewer.token), 400, code);
  });
});

describe('chats and contacts', () => {
  let dev: string;
  const X = phone();
  const Y = phone();
  const Z = phone();
  const inbound = (from: string, waId: string, text: string, pushName: string): InboundMessage => ({
    chatJid: jidOf(from),
    waId,
    fromMe: false,
    senderJid: jidOf(from),
    pushName,
    timestamp: new Date().toISOString(),
    content: { type: 'text', text },
    quotedWaId: null,
    targetWaId: null,
    offline: false,
  });

  const chatsOf = async (query = '') => {
    const res = await t.call('GET', `/devices/${dev}/chats${query}`, viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { success: true; chats: Record<string, any>[]; next_cursor: string | null };
  };

  beforeAll(async () => {
    dev = await createDevice(t, tenant.adminToken);
  });

  it('ordered by last activity, each with its last message and unread count', async () => {
    const toX = await sendOk(t, tenant.adminToken, dev, { type: 'text', to: X, text: 'hello X' });
    await storeInbound(t.deps, tenant.tenantId, dev, [inbound(Y, 'Y1', 'hi from Y', 'Yvonne')]);
    const toZ = await sendOk(t, tenant.adminToken, dev, { type: 'text', to: Z, text: 'hello Z' });
    await storeInbound(t.deps, tenant.tenantId, dev, [inbound(X, 'X1', 'first from X', 'Xavier'), inbound(X, 'X2', 'second from X', 'Xavier')]);

    let list = await chatsOf();
    expect(list.next_cursor).toBeNull();
    expect(list.chats.map((c) => [c.jid, c.unread_count, c.last_message.content.text])).toEqual([
      [jidOf(X), 2, 'second from X'],
      [jidOf(Z), 0, 'hello Z'],
      [jidOf(Y), 1, 'hi from Y'],
    ]);
    const z = list.chats[1]!;
    expect(z).toEqual({
      id: expect.stringMatching(UUID_V7),
      device_id: dev,
      jid: jidOf(Z),
      type: 'user',
      phone: Z,
      lid: null,
      name: null,
      unread_count: 0,
      last_message: toZ,
      last_message_at: toZ.created_at,
      created_at: toZ.created_at,
      updated_at: toZ.created_at,
    });
    expect(list.chats[0]!.name).toBe('Xavier');
    expect(list.chats[0]!.last_message).toMatchObject({ direction: 'inbound', status: 'received', wa_id: 'X2', sender_jid: jidOf(X) });

    // a reply to Y moves it to the top; its unread messages stay unread
    await sendOk(t, tenant.adminToken, dev, { type: 'text', to: Y, text: 'answer to Y' });
    list = await chatsOf();
    expect(list.chats.map((c) => [c.jid, c.unread_count, c.last_message.content.text])).toEqual([
      [jidOf(Y), 1, 'answer to Y'],
      [jidOf(X), 2, 'second from X'],
      [jidOf(Z), 0, 'hello Z'],
    ]);

    // a reaction, an edit and a delete are not activity of their own
    await sendOk(t, tenant.adminToken, dev, { type: 'reaction', message_id: toZ.id, emoji: '👍' });
    await sendOk(t, tenant.adminToken, dev, { type: 'edit', message_id: toZ.id, text: 'hello Z!' });
    await sendOk(t, tenant.adminToken, dev, { type: 'delete', message_id: toX.id });
    expect((await chatsOf()).chats.map((c) => c.jid)).toEqual([jidOf(Y), jidOf(X), jidOf(Z)]);
  });

  it('paginated by keyset: limit=1 walks each chat once, next_cursor null at the end', async () => {
    const all = (await chatsOf()).chats.map((c) => c.jid);
    expect(all).toHaveLength(3);
    const walked: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await chatsOf(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...page.chats.map((c) => c.jid));
      cursor = page.next_cursor;
      if (!cursor) break;
      expect(page.chats).toHaveLength(1);
    }
    expect(walked).toEqual(all);
    expectError(await t.call('GET', `/devices/${dev}/chats?cursor=garbage`, viewer.token), 400, 'invalid_cursor');
  });

  it('contacts: the people who wrote, with their profile names; paginated', async () => {
    const res = await t.call('GET', `/devices/${dev}/contacts`, viewer.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      contacts: [
        { jid: jidOf(Y), phone: Y, lid: null, name: 'Yvonne', on_whatsapp: null, checked_at: null, updated_at: expect.stringMatching(RFC3339) },
        { jid: jidOf(X), phone: X, lid: null, name: 'Xavier', on_whatsapp: null, checked_at: null, updated_at: expect.stringMatching(RFC3339) },
      ],
      next_cursor: null,
    });
    const first = (await t.call('GET', `/devices/${dev}/contacts?limit=1`, viewer.token)).json();
    expect(first.contacts.map((c: { jid: string }) => c.jid)).toEqual([jidOf(Y)]);
    const second = (await t.call('GET', `/devices/${dev}/contacts?limit=1&cursor=${first.next_cursor}`, viewer.token)).json();
    expect(second.contacts.map((c: { jid: string }) => c.jid)).toEqual([jidOf(X)]);
    expect(second.next_cursor).toBeNull();
    expectError(await t.call('GET', `/devices/${dev}/contacts?cursor=garbage`, viewer.token), 400, 'invalid_cursor');
  });
});
