import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeInbound } from '../../src/messages/inbound-store.js';
import type { Role } from '../../src/db/schema.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { createDevice, expectError, getMessage, insertRow, jidOf, phone, send, sendOk, type ApiMessage } from './api-helpers.js';

/**
 * Who may use the messages routes (product.md section 1), and tenant isolation: another
 * tenant's ids answer 404, never 403, never data, and change nothing.
 */

let t: TestApp;
let a: TenantFixture;
let b: TenantFixture;
const users = {} as Record<Exclude<Role, 'admin'>, UserFixture>;
let deviceA: string;
let deviceB: string;
let messageA: ApiMessage;
const PEER = phone();
const PEER_JID = jidOf(PEER);

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
  for (const role of ['supervisor', 'agent', 'viewer'] as const) users[role] = await createUser(t, a, role);
  deviceA = await createDevice(t, a.adminToken);
  deviceB = await createDevice(t, b.adminToken);
  messageA = await sendOk(t, a.adminToken, deviceA, { type: 'text', to: PEER, text: 'secret of tenant A' });
  // an inbound message too (as the device would store it): a chat with a contact and unread
  await storeInbound(t.deps, a.tenantId, deviceA, [
    {
      chatJid: PEER_JID,
      waId: 'INBOUND0001',
      fromMe: false,
      senderJid: PEER_JID,
      pushName: 'Peer of A',
      timestamp: new Date().toISOString(),
      content: { type: 'text', text: 'hi A' },
      quotedWaId: null,
      targetWaId: null,
      offline: false,
    },
  ]);
});
afterAll(async () => {
  await t?.close();
});

const tokenOf = (role: Role) => (role === 'admin' ? a.adminToken : users[role].token);

/** Every messages route, with a body that passes validation, on tenant A's ids. */
function routes(ids: { device: string; message: string; chat: string }) {
  return {
    send: ['POST', `/devices/${ids.device}/messages`, { type: 'text', to: PEER, text: 'hello' }],
    get: ['GET', `/messages/${ids.message}`, undefined],
    cancel: ['POST', `/messages/${ids.message}/cancel`, undefined],
    chats: ['GET', `/devices/${ids.device}/chats`, undefined],
    history: ['GET', `/devices/${ids.device}/chats/${ids.chat}/messages`, undefined],
    contacts: ['GET', `/devices/${ids.device}/contacts`, undefined],
    read: ['POST', `/devices/${ids.device}/read`, { chat: ids.chat }],
    checkNumbers: ['POST', `/devices/${ids.device}/check-numbers`, { numbers: [PEER] }],
    presence: ['POST', `/devices/${ids.device}/presence`, { state: 'typing', chat: ids.chat }],
    sendInterval: ['PUT', `/devices/${ids.device}/send-interval`, { send_interval_ms: 1234 }],
  } as const;
}
type RouteName = keyof ReturnType<typeof routes>;
const ROUTE_NAMES = Object.keys(routes({ device: '', message: '', chat: '' })) as RouteName[];

function callRoute(name: RouteName, token: string | undefined, ids = { device: deviceA, message: messageA.id, chat: PEER }): Promise<LightMyRequestResponse> {
  const [method, url, body] = routes(ids)[name];
  return t.call(method, url, token, body);
}

/** Tenant A's state the other calls must not change. */
async function snapshotA() {
  const msg = await getMessage(t, a.adminToken, messageA.id);
  const device = await t.deps.db.kysely.selectFrom('devices').select(['send_interval_ms', 'status']).where('id', '=', deviceA).executeTakeFirstOrThrow();
  const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'status']).where('device_id', '=', deviceA).orderBy('id').execute();
  return { msg, device, rows };
}

describe('roles', () => {
  // what each role may do, restated from product.md section 1 (not from src/auth/policy.ts)
  const EXPECTED: Record<Role, Record<RouteName, number>> = {
    // read/check-numbers/presence pass the role check and stop at the device (never connected): 409
    admin: { send: 202, get: 200, cancel: 200, chats: 200, history: 200, contacts: 200, read: 409, checkNumbers: 409, presence: 409, sendInterval: 200 },
    supervisor: { send: 202, get: 200, cancel: 200, chats: 200, history: 200, contacts: 200, read: 409, checkNumbers: 409, presence: 409, sendInterval: 403 },
    agent: { send: 202, get: 200, cancel: 200, chats: 200, history: 200, contacts: 200, read: 409, checkNumbers: 409, presence: 409, sendInterval: 403 },
    viewer: { send: 403, get: 200, cancel: 403, chats: 200, history: 200, contacts: 200, read: 403, checkNumbers: 403, presence: 403, sendInterval: 403 },
  };

  for (const role of ['admin', 'supervisor', 'agent', 'viewer'] as const) {
    it(`${role}: ${JSON.stringify(EXPECTED[role])}`, async () => {
      // each role cancels a message of its own
      const own = await sendOk(t, a.adminToken, deviceA, { type: 'text', to: PEER, text: `for ${role} to cancel` });
      for (const name of ROUTE_NAMES) {
        const res = await callRoute(name, tokenOf(role), { device: deviceA, message: name === 'cancel' ? own.id : messageA.id, chat: PEER });
        const expected = EXPECTED[role][name];
        expect(res.statusCode, `${role} ${name}: ${res.body}`).toBe(expected);
        if (expected === 403) expectError(res, 403, 'forbidden');
        if (expected === 409) expectError(res, 409, 'device_not_connected');
        if (expected < 300) expect(res.json().success).toBe(true);
      }
    });
  }

  it('what a viewer reads is the data itself', async () => {
    const viewer = users.viewer.token;
    const msg = await t.call('GET', `/messages/${messageA.id}`, viewer);
    expect(msg.json().message).toEqual(await getMessage(t, a.adminToken, messageA.id));
    const chats = (await t.call('GET', `/devices/${deviceA}/chats`, viewer)).json();
    expect(chats.chats.map((c: { jid: string; unread_count: number }) => [c.jid, c.unread_count])).toEqual([[PEER_JID, 1]]);
    const history = (await t.call('GET', `/devices/${deviceA}/chats/${PEER}/messages`, viewer)).json();
    expect(history.messages.map((m: ApiMessage) => m.content.text)).toContain('secret of tenant A');
    const contacts = (await t.call('GET', `/devices/${deviceA}/contacts`, viewer)).json();
    expect(contacts.contacts).toEqual([
      { jid: PEER_JID, phone: PEER, lid: null, name: 'Peer of A', on_whatsapp: null, checked_at: null, updated_at: expect.any(String) },
    ]);
  });

  it('a viewer refused changes nothing', async () => {
    const before = await snapshotA();
    for (const name of ['send', 'cancel', 'read', 'checkNumbers', 'presence', 'sendInterval'] as const) {
      expectError(await callRoute(name, users.viewer.token), 403, 'forbidden');
    }
    expect(await snapshotA()).toEqual(before);
  });

  it('only an admin sets the send interval', async () => {
    for (const role of ['supervisor', 'agent', 'viewer'] as const) {
      expectError(await t.call('PUT', `/devices/${deviceA}/send-interval`, users[role].token, { send_interval_ms: 5 }), 403, 'forbidden');
    }
    const res = await t.call('PUT', `/devices/${deviceA}/send-interval`, a.adminToken, { send_interval_ms: 777 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, send_interval_ms: 777, effective_ms: 777 });
  });

  it('the master token: 403 tenant_user_required on every route, and nothing changes', async () => {
    const before = await snapshotA();
    for (const name of ROUTE_NAMES) {
      const res = await callRoute(name, t.masterToken);
      expectError(res, 403, 'tenant_user_required');
      expect(res.body).not.toContain('secret of tenant A');
    }
    expect(await snapshotA()).toEqual(before);
  });

  it('no token: 401 on every route; a wrong token: 401', async () => {
    for (const name of ROUTE_NAMES) {
      expectError(await callRoute(name, undefined), 401, 'unauthorized');
      expectError(await callRoute(name, 'wuts_tok_' + 'A'.repeat(43)), 401, 'invalid_token');
    }
  });

  it('a deactivated agent: 401 on send', async () => {
    const agent = await createUser(t, a, 'agent');
    const off = await t.call('PUT', `/users/${agent.id}`, a.adminToken, { active: false });
    expect(off.statusCode, off.body).toBe(200);
    expectError(await send(t, agent.token, deviceA, { type: 'text', to: PEER, text: 'x' }), 401, 'user_inactive');
  });
});

describe('tenant isolation', () => {
  const foreign = () => [deviceA, messageA.id, messageA.wa_id, 'secret of tenant A', 'Peer of A', 'hi A'];

  function expectHidden(res: LightMyRequestResponse, what: string) {
    expect(res.statusCode, `${what}: ${res.body}`).toBe(404);
    expectError(res, 404, 'not_found');
    for (const needle of foreign()) expect(res.body, what).not.toContain(needle);
  }

  it("tenant B's admin on tenant A's device, message and chat: 404 on every route, and nothing changes", async () => {
    const before = await snapshotA();
    for (const name of ROUTE_NAMES) expectHidden(await callRoute(name, b.adminToken), name);
    // with the chat as a JID as well
    expectHidden(await t.call('GET', `/devices/${deviceA}/chats/${encodeURIComponent(PEER_JID)}/messages`, b.adminToken), 'history by JID');
    expect(await snapshotA()).toEqual(before);
  });

  it("tenant B's other roles on tenant A's ids: 404 for what the role may do", async () => {
    const bAgent = await createUser(t, b, 'agent');
    const bViewer = await createUser(t, b, 'viewer');
    for (const name of ROUTE_NAMES) {
      if (name !== 'sendInterval') expectHidden(await callRoute(name, bAgent.token), `agent ${name}`);
      if (['get', 'chats', 'history', 'contacts'].includes(name)) expectHidden(await callRoute(name, bViewer.token), `viewer ${name}`);
    }
  });

  it("from tenant B's own device: message_id or reply_to of tenant A's message: 404", async () => {
    const before = await snapshotA();
    const bodies = [
      { type: 'reaction', message_id: messageA.id, emoji: '👍' },
      { type: 'edit', message_id: messageA.id, text: 'hijacked' },
      { type: 'delete', message_id: messageA.id },
      { type: 'text', to: PEER, text: 'quoting A', reply_to: messageA.id },
      { type: 'location', to: PEER, location: { latitude: 1, longitude: 2 }, reply_to: messageA.id },
    ];
    for (const body of bodies) expectHidden(await send(t, b.adminToken, deviceB, body), `${body.type} from B's device`);
    // B's device got nothing queued from these
    const rowsB = await t.deps.db.kysely.selectFrom('messages').select('id').where('device_id', '=', deviceB).execute();
    expect(rowsB).toEqual([]);
    expect(await snapshotA()).toEqual(before);
  });

  it("tenant B's own device and the same chat: its own (empty) history, not A's", async () => {
    const history = await t.call('GET', `/devices/${deviceB}/chats/${PEER}/messages`, b.adminToken);
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json()).toEqual({ success: true, messages: [], next_cursor: null });
    expect((await t.call('GET', `/devices/${deviceB}/chats`, b.adminToken)).json()).toEqual({ success: true, chats: [], next_cursor: null });
    expect((await t.call('GET', `/devices/${deviceB}/contacts`, b.adminToken)).json()).toEqual({ success: true, contacts: [], next_cursor: null });
  });

  it('an unknown device and an unknown message answer the same 404 as a foreign one', async () => {
    const unknown = { device: '01890000-0000-7000-8000-0000000000aa', message: '01890000-0000-7000-8000-0000000000bb', chat: PEER };
    for (const name of ROUTE_NAMES) {
      const res = await callRoute(name, a.adminToken, unknown);
      const foreignRes = await callRoute(name, b.adminToken);
      expectError(res, 404, 'not_found');
      expect(res.json(), name).toEqual(foreignRes.json());
    }
  });

  it('a message stored under tenant A is never listed for B, even by inserting rows in B with the same chat', async () => {
    await insertRow(t, b.tenantId, deviceB, { chat_jid: PEER_JID, content_json: JSON.stringify({ type: 'text', text: 'B only' }) });
    const history = (await t.call('GET', `/devices/${deviceB}/chats/${PEER}/messages`, b.adminToken)).json();
    expect(history.messages.map((m: ApiMessage) => m.content.text)).toEqual(['B only']);
    const historyA = (await t.call('GET', `/devices/${deviceA}/chats/${PEER}/messages`, a.adminToken)).json();
    expect(historyA.messages.map((m: ApiMessage) => m.content.text)).not.toContain('B only');
  });
});
