import { afterAll, beforeAll, expect, it } from 'vitest';
import { storeInbound } from '../../src/messages/inbound-store.js';
import { rememberIdentities } from '../../src/messages/identities.js';
import type { InboundMessage } from '../../src/whatsapp/messages.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { createDevice, jidOf, phone } from './api-helpers.js';

/**
 * A user WUTS kept under its LID and under its phone number (two chats, two contacts) becomes
 * one chat and one contact when the pair is learned: unread counts add up, the latest message
 * stays the chat's last, names are kept, a message stored under both keys is kept once, and a
 * pair already known moves nothing. Another device of the tenant keeps its own.
 */

let t: TestApp;
let tenant: TenantFixture;
let deviceId: string;
let otherDevice: string;
const P = phone();
const LID = `${P.slice(-9)}777000@lid`;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  deviceId = await createDevice(t, tenant.adminToken);
  otherDevice = await createDevice(t, tenant.adminToken);
});
afterAll(async () => t?.close());

const received = (chatJid: string, waId: string, text: string, pushName: string | null): InboundMessage => ({
  chatJid,
  waId,
  fromMe: false,
  senderJid: chatJid,
  pushName,
  timestamp: new Date().toISOString(),
  content: { type: 'text', text },
  quotedWaId: null,
  targetWaId: null,
  offline: false,
});

const get = async (device: string, path: string) => {
  const res = await t.call('GET', `/devices/${device}/${path}`, tenant.adminToken);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

it('two chats and two contacts of one user become one of each, keyed by the phone number', async () => {
  await storeInbound(t.deps, tenant.tenantId, deviceId, [received(LID, 'L1', 'by lid one', 'Lid Name')]);
  await storeInbound(t.deps, tenant.tenantId, deviceId, [received(jidOf(P), 'P1', 'by phone', null)]);
  await storeInbound(t.deps, tenant.tenantId, deviceId, [received(LID, 'L2', 'by lid two', null)]);
  // the same message stored under both keys (a redelivery keyed the other way)
  await storeInbound(t.deps, tenant.tenantId, deviceId, [received(LID, 'DUP', 'twice', null), received(jidOf(P), 'DUP', 'twice', null)]);
  await storeInbound(t.deps, tenant.tenantId, otherDevice, [received(LID, 'O1', 'other device', null)]);
  expect((await get(deviceId, 'chats')).chats.map((c: any) => c.jid).sort()).toEqual([LID, jidOf(P)].sort());

  await rememberIdentities(t.deps, tenant.tenantId, deviceId, [{ lid: LID, phone: P }]);

  const { chats } = await get(deviceId, 'chats');
  expect(chats).toHaveLength(1);
  expect(chats[0]).toMatchObject({ jid: jidOf(P), type: 'user', phone: P, lid: LID, name: 'Lid Name', unread_count: 5 });
  // the latest message (the duplicate, stored last under the phone number) stays the last
  expect(chats[0].last_message).toMatchObject({ wa_id: 'DUP', chat_jid: jidOf(P), sender: { jid: jidOf(P), phone: P, lid: LID } });

  const { contacts } = await get(deviceId, 'contacts');
  expect(contacts).toEqual([expect.objectContaining({ jid: jidOf(P), phone: P, lid: LID, name: 'Lid Name' })]);

  const { messages } = await get(deviceId, `chats/${P}/messages?direction=newer`);
  expect(messages.map((m: any) => m.wa_id)).toEqual(['L1', 'P1', 'L2', 'DUP']);
  expect(messages.every((m: any) => m.chat_jid === jidOf(P) && m.sender_jid === jidOf(P) && m.sender.lid === LID)).toBe(true);
  // asked by its LID, the chat is the same one
  expect((await get(deviceId, `chats/${LID}/messages?direction=newer`)).messages).toEqual(messages);

  // the other device learned nothing: its chat stays under the LID
  expect((await get(otherDevice, 'chats')).chats.map((c: any) => [c.jid, c.phone, c.lid])).toEqual([[LID, null, LID]]);
});

it('a message received under the LID after the pair is known lands in the phone-number chat; learning it again changes nothing', async () => {
  await storeInbound(t.deps, tenant.tenantId, deviceId, [received(LID, 'L3', 'after the merge', null)]);
  await rememberIdentities(t.deps, tenant.tenantId, deviceId, [{ lid: LID, phone: P }]);
  const { chats } = await get(deviceId, 'chats');
  expect(chats.map((c: any) => [c.jid, c.unread_count, c.last_message.wa_id])).toEqual([[jidOf(P), 6, 'L3']]);
  expect((await get(deviceId, 'contacts')).contacts).toHaveLength(1);
});

it('pairs that are no LID and phone number are ignored', async () => {
  const before = await get(deviceId, 'chats');
  await rememberIdentities(t.deps, tenant.tenantId, deviceId, [
    { lid: 'not-a-lid', phone: P },
    { lid: LID, phone: '0123' },
  ]);
  expect(await get(deviceId, 'chats')).toEqual(before);
});
