import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  accountMessages,
  chatHistory,
  companions,
  createAccount,
  disconnectDevice,
  eventsOf,
  jidOf,
  messageOf,
  phoneAction,
  phoneSend,
  reconnectDevice,
  sendMessage,
  startWorld,
  tenantWithDevice,
  waitForEvent,
  waitForReceivedBy,
  waitForSentBy,
  waitForStatus,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';
import { until } from '../helpers/wait.js';

/**
 * What account B's phone sends reaches WUTS through the real Baileys provider: stored in the
 * chat's history, as a verified webhook, counted unread, read back to B; and what B sends
 * while the device is disconnected arrives once, in order, after it reconnects.
 */
const A = '15553330001'; // the number the WUTS device is linked to
const B = '15553330002'; // the peer
const B_NAME = 'Peer Bea';

let w: MessagingWorld;
let a: TenantWithDevice;
/** every timeline message B sent to A in this file, in order, with what WUTS must show */
const fromB: Array<{ waId: string; type: string }> = [];

beforeAll(async () => {
  w = await startWorld();
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, B_NAME);
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

/** Received timeline messages not read yet (reactions and votes are not counted as unread). */
const unreadTimeline = (history: any[]) =>
  history.filter((m) => m.direction === 'inbound' && m.status === 'received' && !['reaction', 'poll_vote'].includes(m.type));

const stored = (waId: string, what = `B's ${waId} stored`) => waitForStored(w, a.token, a.deviceId, B, what, (m) => m.wa_id === waId);

/** B sends; WUTS stores it and sends one verified message.received webhook; answers the stored message. */
async function receiveFromB(body: Record<string, unknown>, expected: { type: string; content: Record<string, unknown> }): Promise<any> {
  const sent = await phoneSend(w, B, { to: A, ...body });
  fromB.push({ waId: sent.id, type: expected.type });
  const msg = await stored(sent.id);
  expect(msg).toMatchObject({
    direction: 'inbound',
    chat_jid: jidOf(B),
    sender_jid: jidOf(B),
    type: expected.type,
    status: 'received',
    deleted_at: null,
    edited_at: null,
  });
  expect(msg.content).toEqual(expected.content);
  expect(msg.wa_timestamp).not.toBeNull();
  const event = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
  expect(event).toMatchObject({ tenant_id: a.tenantId, device_id: a.deviceId });
  expect(event.data.message).toEqual(msg);
  // the name B set on WhatsApp, as the emulator sends it with each message (notify)
  expect(event.data.push_name).toBe(B_NAME);
  expect(Object.keys(event.data).sort()).toEqual(['message', 'push_name']);
  return { sent, msg };
}

it('text, location, contact and poll land in history and as webhooks; the chat counts them unread', async () => {
  await receiveFromB({ text: 'Hi, I have a question about my order' }, { type: 'text', content: { text: 'Hi, I have a question about my order' } });
  const location = { latitude: 51.5007, longitude: -0.1246, name: 'Big Ben', address: 'London SW1A 0AA' };
  await receiveFromB({ type: 'location', location }, { type: 'location', content: location });
  const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Bob Builder\nTEL;type=CELL;waid=15550004444:+15550004444\nEND:VCARD';
  await receiveFromB({ type: 'contact', contact: { name: 'Bob Builder', vcard } }, { type: 'contact', content: { name: 'Bob Builder', vcard } });
  await receiveFromB(
    { type: 'poll', poll: { name: 'Delivery slot?', options: ['Morning', 'Afternoon'], selectable_count: 1 } },
    { type: 'poll', content: { name: 'Delivery slot?', options: ['Morning', 'Afternoon'], selectable_count: 1 } },
  );

  const chats = await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token);
  expect(chats.statusCode, chats.body).toBe(200);
  const chat = chats.json().chats.find((c: any) => c.jid === jidOf(B));
  expect(chat, chats.body).toBeDefined();
  expect(chat.unread_count).toBe(4);
  expect(chat.last_message).toMatchObject({ wa_id: fromB.at(-1)!.waId, type: 'poll' });
  expect(chat.name).toBe(B_NAME);
});

it('GET /devices/{id}/contacts shows B with its profile name', async () => {
  const res = await w.t.call('GET', `/devices/${a.deviceId}/contacts`, a.token);
  expect(res.statusCode, res.body).toBe(200);
  const contact = res.json().contacts.find((c: any) => c.jid === jidOf(B));
  expect(contact, res.body).toMatchObject({ jid: jidOf(B), phone: B, name: B_NAME });
});

it("a reply from B points at the message it quotes (a WUTS one, and one of B's own)", async () => {
  const ours = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: B, text: 'Your order ships tomorrow.' });
  await waitForStatus(w, a.token, ours.id, 'delivered');
  await waitForReceivedBy(w, B, ours.wa_id);
  const { msg } = await receiveFromB({ text: 'Great, thanks!', quoted_id: ours.wa_id }, { type: 'text', content: { text: 'Great, thanks!' } });
  expect(msg).toMatchObject({ quoted_message_id: ours.id, quoted_wa_id: ours.wa_id });
  // B quoting one of its own earlier messages points at that stored inbound message
  const earlier = await stored(fromB[0]!.waId);
  const { msg: again } = await receiveFromB(
    { type: 'location', location: { latitude: 10, longitude: 20 }, quoted_id: earlier.wa_id },
    { type: 'location', content: { latitude: 10, longitude: 20 } },
  );
  expect(again).toMatchObject({ quoted_message_id: earlier.id, quoted_wa_id: earlier.wa_id });
});

it('a reaction from B to a WUTS message: message.reaction event and a stored row', async () => {
  const ours = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: B, text: 'We added a free gift 🎁' });
  await waitForReceivedBy(w, B, ours.wa_id);
  const action = await phoneAction(w, B, ours.wa_id, 'react', { emoji: '🎉' });
  const event = await waitForEvent(w, 'message.reaction', (d) => d.target_wa_id === ours.wa_id);
  expect(event.data).toMatchObject({ target_message_id: ours.id, target_wa_id: ours.wa_id, chat_jid: jidOf(B), sender_jid: jidOf(B), emoji: '🎉' });
  const row = await messageOf(w, a.token, event.data.message_id);
  expect(row).toMatchObject({
    direction: 'inbound',
    type: 'reaction',
    wa_id: action.action_id,
    target_message_id: ours.id,
    target_wa_id: ours.wa_id,
    content: { emoji: '🎉' },
  });
  const inHistory = (await chatHistory(w, a.token, a.deviceId, B)).find((m) => m.id === row.id);
  expect(inHistory).toMatchObject({ type: 'reaction', target_message_id: ours.id });

  // taking it back: an empty emoji
  const removal = await phoneAction(w, B, ours.wa_id, 'react', { emoji: '' });
  const removed = await waitForEvent(w, 'message.reaction', (d) => d.target_wa_id === ours.wa_id && d.emoji === '');
  expect(removed.data).toMatchObject({ target_message_id: ours.id, sender_jid: jidOf(B), emoji: '' });
  expect(await messageOf(w, a.token, removed.data.message_id)).toMatchObject({ type: 'reaction', wa_id: removal.action_id, content: { emoji: '' } });
});

it('an edit from B changes the stored text, sets edited_at, and sends message.edited with the previous text', async () => {
  const { sent, msg } = await receiveFromB({ text: 'Deliver to door 12' }, { type: 'text', content: { text: 'Deliver to door 12' } });
  await phoneAction(w, B, sent.id, 'edit', { text: 'Deliver to door 21' });
  const event = await waitForEvent(w, 'message.edited', (d) => d.message?.id === msg.id);
  expect(event.data.previous_text).toBe('Deliver to door 12');
  expect(event.data.message).toMatchObject({ id: msg.id, wa_id: sent.id, content: { text: 'Deliver to door 21' } });
  expect(event.data.message.edited_at).not.toBeNull();
  const now = await messageOf(w, a.token, msg.id);
  expect(now.content).toEqual({ text: 'Deliver to door 21' });
  expect(now.edited_at).not.toBeNull();
  // the edit is applied, not listed: the history still has one message for it
  const history = await chatHistory(w, a.token, a.deviceId, B);
  expect(history.filter((m) => m.type === 'edit')).toEqual([]);
  expect(history.find((m) => m.id === msg.id)).toMatchObject({ content: { text: 'Deliver to door 21' } });
});

it('a delete from B sets deleted_at, clears the content, and sends message.deleted', async () => {
  const { sent, msg } = await receiveFromB({ text: 'my card number is 4111...' }, { type: 'text', content: { text: 'my card number is 4111...' } });
  await phoneAction(w, B, sent.id, 'delete');
  fromB.find((m) => m.waId === sent.id)!.type = 'deleted';
  const event = await waitForEvent(w, 'message.deleted', (d) => d.message_id === msg.id);
  expect(event.data).toEqual({ message_id: msg.id, wa_id: sent.id, chat_jid: jidOf(B), sender_jid: jidOf(B), sender: msg.sender });
  expect(msg.sender).toEqual({ jid: jidOf(B), phone: B, lid: expect.stringMatching(/^\d+@lid$/) });
  const now = await messageOf(w, a.token, msg.id);
  expect(now.deleted_at).not.toBeNull();
  expect(now.content).toBeNull();
  const history = await chatHistory(w, a.token, a.deviceId, B);
  expect(history.find((m) => m.id === msg.id)).toMatchObject({ content: null });
  expect(JSON.stringify(history)).not.toContain('4111');
});

it('a vote from B on a WUTS poll: message.received of type poll_vote with the option names', async () => {
  const poll = await sendMessage(w, a.token, a.deviceId, {
    type: 'poll',
    to: B,
    poll: { name: 'Which colour?', options: ['Red', 'Green', 'Blue'], selectable_count: 2 },
  });
  await waitForReceivedBy(w, B, poll.wa_id, (m) => m.poll !== undefined);
  const action = await phoneAction(w, B, poll.wa_id, 'vote', { options: ['Green', 'Blue'] });
  const event = await waitForEvent(w, 'message.received', (d) => d.message?.type === 'poll_vote' && d.message.target_wa_id === poll.wa_id);
  expect(event.data.message).toMatchObject({
    direction: 'inbound',
    type: 'poll_vote',
    wa_id: action.action_id,
    target_message_id: poll.id,
    sender_jid: jidOf(B),
  });
  expect([...event.data.message.content.options].sort()).toEqual(['Blue', 'Green']);
  const stored = await waitForStored(w, a.token, a.deviceId, B, 'the vote in history', (m) => m.wa_id === action.action_id);
  expect(stored).toEqual(event.data.message);
});

it('POST /devices/{id}/read marks the chat read and B sees its messages read', async () => {
  const before = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats.find((c: any) => c.jid === jidOf(B));
  // what B sent that is a message of the chat (reactions and votes are not unread messages)
  const unread = unreadTimeline(await chatHistory(w, a.token, a.deviceId, B));
  expect(before.unread_count).toBe(unread.length);
  const live = fromB.filter((m) => m.type !== 'deleted');
  expect(unread.map((m) => m.wa_id)).toEqual(expect.arrayContaining(live.map((m) => m.waId)));
  const res = await w.t.call('POST', `/devices/${a.deviceId}/read`, a.token, { chat: B });
  expect(res.statusCode, res.body).toBe(200);
  const after = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats.find((c: any) => c.jid === jidOf(B));
  expect(after.unread_count).toBe(0);
  const history = await chatHistory(w, a.token, a.deviceId, B);
  for (const { waId } of live) expect(history.find((m) => m.wa_id === waId)?.status, waId).toBe('read');
  expect(unreadTimeline(history)).toEqual([]);
  // B's phone gets the read receipts: its sent records (still there, not deleted) move to read
  const deleted = new Set((await accountMessages(w, B)).sent.filter((m) => m.deleted).map((m) => m.id));
  for (const { waId } of fromB.filter((m) => !deleted.has(m.waId))) await waitForSentBy(w, B, waId, (m) => m.status === 'read');
  // reading again finds nothing unread
  const again = await w.t.call('POST', `/devices/${a.deviceId}/read`, a.token, { chat: B });
  expect(again.json().read).toBe(0);
  // the messages it marked read are the chat's unread ones: reactions, votes, and the edits and deletes history never lists are no unread messages
  expect(res.json().read, `read ${res.json().read} with unread_count ${before.unread_count}`).toBe(before.unread_count);
});

it('what B sends while the device is disconnected arrives after reconnect (no QR), once each, in order', async () => {
  await disconnectDevice(w, a.token, a.deviceId);
  const texts = ['offline 1: are you there?', 'offline 2: hello?', 'offline 3: call me back', 'offline 4: thanks'];
  const sent: any[] = [];
  for (const text of texts) sent.push(await phoneSend(w, B, { to: A, text }));
  sent.push(await phoneSend(w, B, { to: A, type: 'location', location: { latitude: 1.5, longitude: 2.5 } }));
  // the emulator holds them for the offline WUTS device; nothing arrived yet
  const [device] = await companions(w, A);
  expect(device).toMatchObject({ online: false });
  expect(device!.queued).toBeGreaterThanOrEqual(sent.length);
  expect((await chatHistory(w, a.token, a.deviceId, B)).some((m) => sent.some((s) => s.id === m.wa_id))).toBe(false);

  await reconnectDevice(w, a.token, a.deviceId);
  const history = await until(
    'the offline messages stored',
    async () => {
      const h = await chatHistory(w, a.token, a.deviceId, B);
      return sent.every((s) => h.some((m) => m.wa_id === s.id)) ? h : null;
    },
    20_000,
  );
  const ours = history.filter((m) => sent.some((s) => s.id === m.wa_id));
  expect(ours.map((m) => m.wa_id)).toEqual(sent.map((s) => s.id)); // once each, in the order B sent them
  expect(ours.map((m) => m.content)).toEqual([...texts.map((text) => ({ text })), { latitude: 1.5, longitude: 2.5 }]);
  for (const s of sent) {
    await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === s.id);
    expect(
      eventsOf(w, 'message.received', (d) => d.message?.wa_id === s.id),
      s.id,
    ).toHaveLength(1);
  }
  const received = eventsOf(w, 'message.received', (d) => sent.some((s) => s.id === d.message?.wa_id)).map((r) => (r.payload!.data as any).message.wa_id);
  expect(received).toEqual(sent.map((s) => s.id));
  const chat = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats.find((c: any) => c.jid === jidOf(B));
  expect(chat.unread_count).toBe(sent.length);
  expect(await companions(w, A)).toEqual([expect.objectContaining({ online: true, queued: 0 })]);
  // B's phone sees them delivered
  for (const s of sent) await waitForSentBy(w, B, s.id, (m) => m.status === 'delivered' || m.status === 'read');

  // another reconnect hands nothing over twice: a marker sent after it arrives, the others are still stored once
  await disconnectDevice(w, a.token, a.deviceId);
  await reconnectDevice(w, a.token, a.deviceId);
  const marker = await phoneSend(w, B, { to: A, text: 'after the second reconnect' });
  await stored(marker.id);
  const final = await chatHistory(w, a.token, a.deviceId, B);
  for (const s of sent)
    expect(
      final.filter((m) => m.wa_id === s.id),
      s.id,
    ).toHaveLength(1);
  for (const s of sent)
    expect(
      eventsOf(w, 'message.received', (d) => d.message?.wa_id === s.id),
      s.id,
    ).toHaveLength(1);
});

it('an edit B makes while the device is disconnected is applied after reconnect; the message is stored once, in order', async () => {
  await disconnectDevice(w, a.token, a.deviceId);
  const toEdit = await phoneSend(w, B, { to: A, text: 'offline: pick up at 5' });
  await phoneAction(w, B, toEdit.id, 'edit', { text: 'offline: pick up at 6' });
  const after = await phoneSend(w, B, { to: A, text: 'offline: after the edit' }); // after the edit in B's order
  expect((await companions(w, A))[0]!.queued).toBeGreaterThanOrEqual(3);

  await reconnectDevice(w, a.token, a.deviceId);
  await stored(after.id, 'the last offline message stored');
  const edited = await until(
    'the offline edit applied',
    async () => {
      const h = await chatHistory(w, a.token, a.deviceId, B);
      return h.find((m) => m.wa_id === toEdit.id && m.edited_at);
    },
    10_000,
  );
  expect(edited.content).toEqual({ text: 'offline: pick up at 6' });
  const history = await chatHistory(w, a.token, a.deviceId, B);
  expect(history.filter((m) => [toEdit.id, after.id].includes(m.wa_id)).map((m) => m.wa_id)).toEqual([toEdit.id, after.id]);
  const editEvent = await waitForEvent(w, 'message.edited', (d) => d.message?.id === edited.id);
  expect(editEvent.data.message.content).toEqual({ text: 'offline: pick up at 6' });
  // the text before the edit (or null when WUTS cannot know it), never the new text
  expect(['offline: pick up at 5', null], `previous_text ${JSON.stringify(editEvent.data.previous_text)}`).toContain(editEvent.data.previous_text);
});

it('a message B deletes while the device is disconnected is still stored after reconnect (once, in order), deleted, with message.deleted', async () => {
  await disconnectDevice(w, a.token, a.deviceId);
  const before = await phoneSend(w, B, { to: A, text: 'offline: before the mistake' });
  const toDelete = await phoneSend(w, B, { to: A, text: 'offline: sent by mistake' });
  await phoneAction(w, B, toDelete.id, 'delete');
  const after = await phoneSend(w, B, { to: A, text: 'offline: after the delete' }); // after the delete in B's order
  expect((await companions(w, A))[0]!.queued).toBeGreaterThanOrEqual(4);

  await reconnectDevice(w, a.token, a.deviceId);
  await stored(after.id, 'the last offline message stored');
  // B's phone shows it delivered to A: it is a message B sent, and WUTS keeps it, without its content
  await waitForSentBy(w, B, toDelete.id, (m) => m.deleted && (m.status === 'delivered' || m.status === 'read'));
  const deleted = await until(
    `the message B deleted while the device was offline (${toDelete.id}) stored, marked deleted`,
    async () => {
      const h = await chatHistory(w, a.token, a.deviceId, B);
      return h.find((m) => m.wa_id === toDelete.id && m.deleted_at);
    },
    5_000,
  );
  expect(deleted).toMatchObject({ direction: 'inbound', sender_jid: jidOf(B), content: null });
  await waitForEvent(w, 'message.deleted', (d) => d.message_id === deleted.id);
  const history = await chatHistory(w, a.token, a.deviceId, B);
  const ids = [before.id, toDelete.id, after.id];
  expect(history.filter((m) => ids.includes(m.wa_id)).map((m) => m.wa_id)).toEqual(ids);
});

it('every webhook the receiver got verifies with standardwebhooks', () => {
  expect(w.receiver.requests.length).toBeGreaterThan(10);
  expect(w.receiver.unverified().map((r) => `${r.payload?.type}: ${r.verifyError}`)).toEqual([]);
});
