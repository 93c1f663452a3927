import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { storeInbound } from '../../src/messages/inbound-store.js';
import type { InboundMessage } from '../../src/whatsapp/messages.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { createDevice, jidOf, phone } from './api-helpers.js';

/**
 * storeInbound stores each received message in its own transaction: one the database refuses
 * is logged with its key, and the messages after it in the batch are still stored with their events.
 */

let t: TestApp;
let tenant: TenantFixture;
let deviceId: string;
const PEER_JID = jidOf(phone());

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  deviceId = await createDevice(t, tenant.adminToken);
});
afterAll(async () => t?.close());

const received = (waId: string, text: string): InboundMessage => ({
  chatJid: PEER_JID,
  waId,
  fromMe: false,
  senderJid: PEER_JID,
  pushName: 'Peer',
  timestamp: new Date().toISOString(),
  content: { type: 'text', text },
  quotedWaId: null,
  targetWaId: null,
  offline: true,
});

it('a message the database refuses is logged with its key; the batch goes on with the next ones', async () => {
  const logs: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const deps = { ...t.deps, logger: pino({ level: 'warn' }, sink) };
  // no chat: messages.chat_jid is NOT NULL on both databases, so its insert fails
  const refused = { ...received('3EB0BAD00000000000000001', 'refused'), chatJid: null as unknown as string };
  const before = received('3EB0AAA00000000000000001', 'before the bad one');
  const after = received('3EB0CCC00000000000000001', 'after the bad one');

  await storeInbound(deps, tenant.tenantId, deviceId, [before, refused, after]);

  const res = await t.call('GET', `/devices/${deviceId}/chats/${PEER_JID}/messages?direction=newer&limit=50`, tenant.adminToken);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().messages.map((m: any) => [m.wa_id, m.content.text])).toEqual([
    [before.waId, 'before the bad one'],
    [after.waId, 'after the bad one'],
  ]);
  const events = await t.deps.db.kysely.selectFrom('events').select(['type', 'data_json']).where('tenant_id', '=', tenant.tenantId).execute();
  const receivedIds = events.filter((e) => e.type === 'message.received').map((e) => JSON.parse(e.data_json).message.wa_id);
  expect(receivedIds).toEqual([before.waId, after.waId]);

  await expect.poll(() => logs.length).toBeGreaterThan(0);
  expect(logs).toEqual([
    expect.objectContaining({
      level: 50,
      msg: 'storing a received message failed; going on with the next',
      tenantId: tenant.tenantId,
      deviceId,
      key: { chatJid: null, waId: refused.waId, fromMe: false },
      err: expect.objectContaining({ message: expect.any(String) }),
    }),
  ]);
});
