import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  accountMessages,
  chatHistory,
  createAccount,
  phoneSend,
  sendMessage,
  startWorld,
  tenantWithDevice,
  waitForReceivedBy,
  waitForStatus,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';
import { createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { expectError } from '../helpers/assertions.js';

/**
 * Roles and tenant isolation end to end: a viewer reads but cannot send (nothing reaches B),
 * and another tenant's token finds none of tenant A's device, messages or chats (404).
 */
const A = '15555550001'; // tenant A's device
const B = '15555550002'; // the peer
const C = '15555550003'; // tenant C's own device

let w: MessagingWorld;
let a: TenantWithDevice;
let c: TenantWithDevice;
let viewer: UserFixture;
let ours: any; // a message tenant A's device sent to B
let theirs: any; // a message B sent to tenant A's device, as stored

beforeAll(async () => {
  w = await startWorld();
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  await createAccount(w.emu, C, 'WUTS C');
  a = await tenantWithDevice(w, A);
  c = await tenantWithDevice(w, C);
  viewer = await createUser(w.t, { adminToken: a.token, tenantId: a.tenantId } as TenantFixture, 'viewer');
  ours = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: B, text: 'tenant A to B' });
  await waitForStatus(w, a.token, ours.id, 'delivered');
  const sent = await phoneSend(w, B, { to: A, text: 'B to tenant A' });
  theirs = await waitForStored(w, a.token, a.deviceId, B, "B's message stored", (m) => m.wa_id === sent.id);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

/** Every forbidden send below carries this text. */
const FORBIDDEN = 'must not leave';

/** Once a later message from tenant A arrives at B, anything sent before it would have too: answers B's received records. */
async function atBAfterMarker(label: string): Promise<any[]> {
  const marker = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: B, text: `marker ${label}` });
  await waitForReceivedBy(w, B, marker.wa_id);
  return (await accountMessages(w, B)).received;
}

it("a viewer reads A's chats and messages but every send-side call is 403, and nothing reaches B", async () => {
  const dev = `/devices/${a.deviceId}`;
  for (const path of [`${dev}/chats`, `${dev}/chats/${B}/messages`, `/messages/${ours.id}`, `${dev}/contacts`]) {
    const res = await w.t.call('GET', path, viewer.token);
    expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
  }
  const attempts: Array<[string, string, unknown]> = [
    ['POST', `${dev}/messages`, { type: 'text', to: B, text: `viewer text ${FORBIDDEN}` }],
    ['POST', `${dev}/messages`, { type: 'poll', to: B, poll: { name: `viewer poll ${FORBIDDEN}`, options: ['x', 'y'] } }],
    ['POST', `${dev}/messages`, { type: 'reaction', message_id: theirs.id, emoji: '👎' }],
    ['POST', `${dev}/messages`, { type: 'edit', message_id: ours.id, text: `viewer edit ${FORBIDDEN}` }],
    ['POST', `${dev}/messages`, { type: 'delete', message_id: ours.id }],
    ['POST', `${dev}/read`, { chat: B }],
    ['POST', `${dev}/presence`, { state: 'typing', chat: B }],
    ['POST', `${dev}/check-numbers`, { numbers: [B] }],
    ['PUT', `${dev}/send-interval`, { send_interval_ms: 0 }],
  ];
  for (const [method, path, body] of attempts) expectError(await w.t.call(method as 'POST', path, viewer.token, body), 403);

  const atB = await atBAfterMarker('after viewer');
  expect(atB.filter((r) => JSON.stringify(r).includes(FORBIDDEN))).toEqual([]);
  expect(atB.find((r) => r.id === ours.wa_id)).toMatchObject({ text: 'tenant A to B', edited: false, deleted: false }); // no edit, no delete
  const history = await chatHistory(w, a.token, a.deviceId, B);
  expect(history.filter((m) => JSON.stringify(m).includes(FORBIDDEN))).toEqual([]);
  expect(history.filter((m) => m.type === 'reaction')).toEqual([]);
  expect(history.find((m) => m.id === theirs.id)).toMatchObject({ status: 'received' }); // not marked read
});

it("tenant C's token on tenant A's device, message and chat answers 404, and nothing reaches B", async () => {
  const dev = `/devices/${a.deviceId}`;
  const reads = [dev, `${dev}/chats`, `${dev}/chats/${B}/messages`, `${dev}/contacts`, `/messages/${ours.id}`, `/messages/${theirs.id}`];
  for (const path of reads) {
    const res = await w.t.call('GET', path, c.token);
    expectError(res, 404);
    expect(res.body).not.toContain(ours.wa_id);
  }
  const writes: Array<[string, string, unknown]> = [
    ['POST', `${dev}/messages`, { type: 'text', to: B, text: `tenant C via A ${FORBIDDEN}` }],
    ['POST', `${dev}/messages`, { type: 'reaction', message_id: theirs.id, emoji: '😈' }],
    ['POST', `${dev}/read`, { chat: B }],
    ['POST', `${dev}/presence`, { state: 'typing', chat: B }],
    ['POST', `${dev}/check-numbers`, { numbers: [B] }],
    ['PUT', `${dev}/send-interval`, { send_interval_ms: 0 }],
    ['POST', `/messages/${ours.id}/cancel`, undefined],
    // tenant A's messages used from tenant C's own device
    ['POST', `/devices/${c.deviceId}/messages`, { type: 'reaction', message_id: theirs.id, emoji: '😈' }],
    ['POST', `/devices/${c.deviceId}/messages`, { type: 'edit', message_id: ours.id, text: `tenant C edit ${FORBIDDEN}` }],
    ['POST', `/devices/${c.deviceId}/messages`, { type: 'delete', message_id: ours.id }],
    ['POST', `/devices/${c.deviceId}/messages`, { type: 'text', to: B, text: `tenant C reply ${FORBIDDEN}`, reply_to: theirs.id }],
  ];
  for (const [method, path, body] of writes) expectError(await w.t.call(method as 'POST', path, c.token, body), 404);

  const atB = await atBAfterMarker('after tenant C');
  expect(atB.filter((r) => JSON.stringify(r).includes(FORBIDDEN))).toEqual([]);
  expect(atB.find((r) => r.id === ours.wa_id)).toMatchObject({ text: 'tenant A to B', edited: false, deleted: false });
  const mine = (await accountMessages(w, B)).sent.find((m) => m.id === theirs.wa_id);
  expect(mine.reactions).toEqual([]);
  expect((await chatHistory(w, a.token, a.deviceId, B)).filter((m) => m.type === 'reaction')).toEqual([]);
  // C's own device shows none of it
  const cChats = await w.t.call('GET', `/devices/${c.deviceId}/chats`, c.token);
  expect(cChats.statusCode).toBe(200);
  expect(cChats.json().chats).toEqual([]);
});

it('every webhook the receiver got verifies with standardwebhooks', () => {
  expect(w.receiver.requests.length).toBeGreaterThan(3);
  expect(w.receiver.unverified().map((r) => `${r.payload?.type}: ${r.verifyError}`)).toEqual([]);
});
