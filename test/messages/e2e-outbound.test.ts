import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountMessages,
  chatHistory,
  createAccount,
  emulatorApi,
  eventsOf,
  jidOf,
  messageOf,
  phoneSend,
  sendMessage,
  startWorld,
  statusEvents,
  tenantWithDevice,
  waitForEvent,
  waitForAtLeast,
  waitForReceivedBy,
  waitForSentBy,
  waitForStatus,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';
import { until } from '../helpers/wait.js';

/**
 * Every kind of message WUTS sends, through the real Baileys provider and the emulator, as the
 * recipient's phone (account B) shows it; statuses, their history and their signed webhooks.
 */
const A = '15552220001'; // the number the WUTS device is linked to
const B = '15552220002'; // the peer
const NOBODY = '15552229999'; // no account: not on WhatsApp

let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  w = await startWorld();
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

const send = (body: Record<string, unknown>) => sendMessage(w, a.token, a.deviceId, body);

/**
 * Waits until B's phone has the message, then B reads it: the message must have gone
 * queued → sent → delivered → read, each step in status_history and as a verified
 * message.status webhook, after one verified message.sent webhook.
 */
async function expectFullLifecycle(msg: any): Promise<any> {
  const delivered = await waitForStatus(w, a.token, msg.id, 'delivered');
  expect(delivered.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
  const read = await emulatorApi(w.emu, 'POST', `/admin/accounts/${B}/read`, { ids: [msg.wa_id] });
  expect(read.status, JSON.stringify(read.body)).toBe(200);
  expect(read.body.read).toEqual([msg.wa_id]);
  const done = await waitForStatus(w, a.token, msg.id, 'read');
  expect(done.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read']);
  expect(done.status_history.every((h: any) => h.reason === null)).toBe(true);
  const times = done.status_history.map((h: any) => Date.parse(h.at));
  expect([...times].sort((x, y) => x - y)).toEqual(times);

  const sent = await waitForEvent(w, 'message.sent', (d) => d.message?.id === msg.id, `message.sent of ${msg.id}`);
  expect(sent).toMatchObject({ type: 'message.sent', tenant_id: a.tenantId, device_id: a.deviceId });
  expect(sent.data.message).toMatchObject({ id: msg.id, wa_id: msg.wa_id, status: 'sent', direction: 'outbound', chat_jid: jidOf(B), type: msg.type });
  await until(`message.status webhooks of ${msg.id}`, () => statusEvents(w, msg.id).length >= 3);
  const statuses = eventsOf(w, 'message.status', (d) => d.message_id === msg.id);
  expect(statuses.every((r) => r.verified)).toBe(true);
  expect(statuses.map((r) => r.payload!.data)).toEqual([
    { message_id: msg.id, wa_id: msg.wa_id, chat_jid: jidOf(B), status: 'sent', previous_status: 'queued', reason: null },
    { message_id: msg.id, wa_id: msg.wa_id, chat_jid: jidOf(B), status: 'delivered', previous_status: 'sent', reason: null },
    { message_id: msg.id, wa_id: msg.wa_id, chat_jid: jidOf(B), status: 'read', previous_status: 'delivered', reason: null },
  ]);
  return done;
}

describe('each type reaches B as sent', () => {
  it('text', async () => {
    const msg = await send({ type: 'text', to: B, text: 'Hello B, this is WUTS 👋' });
    expect(msg).toMatchObject({ direction: 'outbound', type: 'text', chat_jid: jidOf(B), content: { text: 'Hello B, this is WUTS 👋' } });
    const got = await waitForReceivedBy(w, B, msg.wa_id);
    expect(got).toMatchObject({ from: A, type: 'text', text: 'Hello B, this is WUTS 👋', edited: false, deleted: false, reactions: [] });
    expect(got.quoted_id).toBeUndefined();
    await expectFullLifecycle(msg);
  });

  it('location', async () => {
    const location = { latitude: 48.858844, longitude: 2.294351, name: 'Eiffel Tower', address: 'Champ de Mars, 75007 Paris' };
    const msg = await send({ type: 'location', to: B, location });
    const got = await waitForReceivedBy(w, B, msg.wa_id);
    expect(got).toMatchObject({ from: A, type: 'location', location });
    await expectFullLifecycle(msg);
  });

  it('contact from a phone number: WUTS builds the vCard', async () => {
    const msg = await send({ type: 'contact', to: B, contact: { name: 'Support Desk', phone: '15557770123' } });
    const got = await waitForReceivedBy(w, B, msg.wa_id);
    expect(got.type).toBe('contact');
    expect(got.contact.name).toBe('Support Desk');
    expect(got.contact.vcard).toMatch(/^BEGIN:VCARD\r?\n/);
    expect(got.contact.vcard).toMatch(/\r?\nEND:VCARD$/);
    expect(got.contact.vcard).toContain('FN:Support Desk');
    expect(got.contact.vcard).toContain('waid=15557770123:+15557770123');
    // B has exactly the card WUTS stored
    expect(got.contact.vcard).toBe((await messageOf(w, a.token, msg.id)).content.vcard);
    await expectFullLifecycle(msg);
  });

  it('contact from a full vCard', async () => {
    const vcard =
      'BEGIN:VCARD\nVERSION:3.0\nFN:Jane Q. Public\nORG:Example Corp\nTEL;type=CELL;type=VOICE;waid=15558880001:+1 555 888 0001\nEMAIL:jane@example.test\nEND:VCARD';
    const msg = await send({ type: 'contact', to: B, contact: { name: 'Jane Q. Public', vcard } });
    const got = await waitForReceivedBy(w, B, msg.wa_id);
    expect(got).toMatchObject({ type: 'contact', contact: { name: 'Jane Q. Public', vcard } });
    await expectFullLifecycle(msg);
  });

  it('poll', async () => {
    const msg = await send({ type: 'poll', to: B, poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectable_count: 2 } });
    expect(msg.content).toEqual({ name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectable_count: 2 }); // the vote secret never shows
    const got = await waitForReceivedBy(w, B, msg.wa_id);
    expect(got).toMatchObject({ type: 'poll', poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectable_count: 2 }, votes: [] });
    await expectFullLifecycle(msg);
  });

  it('a reply quotes the message it answers (one B sent, and one WUTS sent)', async () => {
    const question = await phoneSend(w, B, { to: A, text: 'Are you open on Sunday?' });
    const stored = await waitForStored(w, a.token, a.deviceId, B, 'B question stored', (m) => m.wa_id === question.id);
    const reply = await send({ type: 'text', to: B, text: 'Yes, 10 to 4.', reply_to: stored.id });
    expect(reply).toMatchObject({ quoted_message_id: stored.id, quoted_wa_id: question.id });
    const got = await waitForReceivedBy(w, B, reply.wa_id);
    expect(got).toMatchObject({ type: 'text', text: 'Yes, 10 to 4.', quoted_id: question.id });
    await expectFullLifecycle(reply);

    const first = await send({ type: 'text', to: B, text: 'Our address: 1 Main St.' });
    await waitForStatus(w, a.token, first.id, 'delivered');
    const followUp = await send({ type: 'location', to: B, location: { latitude: 40.7128, longitude: -74.006 }, reply_to: first.id });
    const got2 = await waitForReceivedBy(w, B, followUp.wa_id);
    expect(got2).toMatchObject({ type: 'location', location: { latitude: 40.7128, longitude: -74.006 }, quoted_id: first.wa_id });
    await waitForStatus(w, a.token, followUp.id, 'delivered');
  });

  it("a reaction to a message B sent shows on B's record", async () => {
    const theirs = await phoneSend(w, B, { to: A, text: 'Thanks for the help!' });
    const stored = await waitForStored(w, a.token, a.deviceId, B, 'B message stored', (m) => m.wa_id === theirs.id);
    const reaction = await send({ type: 'reaction', message_id: stored.id, emoji: '❤️' });
    expect(reaction).toMatchObject({ type: 'reaction', chat_jid: jidOf(B), target_message_id: stored.id, target_wa_id: theirs.id, content: { emoji: '❤️' } });
    const record = await waitForSentBy(w, B, theirs.id, (m) => m.reactions.length > 0);
    expect(record.reactions).toEqual([expect.objectContaining({ from: A, emoji: '❤️' })]);
    const done = await waitForStatus(w, a.token, reaction.id, 'delivered');
    expect(done.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    await waitForEvent(w, 'message.sent', (d) => d.message?.id === reaction.id);
    // no record of its own at B: a reaction is applied to its target
    expect((await accountMessages(w, B)).received.some((m) => m.id === reaction.wa_id)).toBe(false);
  });

  it("an edit changes B's text and marks it edited; WUTS shows the edit on its own message too", async () => {
    const original = await send({ type: 'text', to: B, text: 'Meeting at 3pm' });
    await waitForStatus(w, a.token, original.id, 'delivered');
    await waitForReceivedBy(w, B, original.wa_id, (m) => m.text === 'Meeting at 3pm');
    const edit = await send({ type: 'edit', message_id: original.id, text: 'Meeting at 4pm' });
    expect(edit).toMatchObject({ type: 'edit', target_message_id: original.id, target_wa_id: original.wa_id });
    const got = await waitForReceivedBy(w, B, original.wa_id, (m) => m.edited === true);
    expect(got).toMatchObject({ type: 'text', text: 'Meeting at 4pm', edited: true, deleted: false });
    expect((await accountMessages(w, B)).received.filter((m) => m.id === original.wa_id)).toHaveLength(1);
    const done = await waitForStatus(w, a.token, edit.id, 'delivered');
    expect(done.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    const mine = await messageOf(w, a.token, original.id);
    expect(mine.content).toEqual({ text: 'Meeting at 4pm' });
    expect(mine.edited_at).not.toBeNull();
  });

  it("a delete marks B's record deleted and clears it; WUTS clears its own copy", async () => {
    const original = await send({ type: 'text', to: B, text: 'Oops, wrong chat' });
    await waitForStatus(w, a.token, original.id, 'delivered');
    await waitForReceivedBy(w, B, original.wa_id);
    const del = await send({ type: 'delete', message_id: original.id });
    expect(del).toMatchObject({ type: 'delete', target_message_id: original.id, target_wa_id: original.wa_id });
    const got = await waitForReceivedBy(w, B, original.wa_id, (m) => m.deleted === true);
    expect(got).toMatchObject({ deleted: true, text: null });
    expect(got.location ?? got.contact ?? got.poll).toBeUndefined();
    const done = await waitForStatus(w, a.token, del.id, 'delivered');
    expect(done.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    const mine = await messageOf(w, a.token, original.id);
    expect(mine.deleted_at).not.toBeNull();
    expect(mine.content).toBeNull();
  });
});

describe('more of the same, through the provider', () => {
  it("a reaction to a message WUTS sent shows on B's received record; an empty emoji takes it back", async () => {
    const mine = await send({ type: 'text', to: `${B}@s.whatsapp.net`, text: 'Sale starts Monday' }); // `to` as a JID: the same chat
    expect(mine.chat_jid).toBe(jidOf(B));
    await waitForReceivedBy(w, B, mine.wa_id);
    const like = await send({ type: 'reaction', message_id: mine.id, emoji: '👍' });
    expect(like).toMatchObject({ target_message_id: mine.id, target_wa_id: mine.wa_id });
    await waitForReceivedBy(w, B, mine.wa_id, (m) => m.reactions.some((r: any) => r.from === A && r.emoji === '👍'));
    await waitForAtLeast(w, a.token, like.id, 'sent');
    const unlike = await send({ type: 'reaction', message_id: mine.id, emoji: '' });
    const after = await waitForReceivedBy(w, B, mine.wa_id, (m) => m.reactions.length === 0);
    expect(after.reactions).toEqual([]);
    await waitForAtLeast(w, a.token, unlike.id, 'sent');
  });

  it('a delete of a poll clears it at B', async () => {
    const poll = await send({ type: 'poll', to: B, poll: { name: 'Keep this?', options: ['Yes', 'No'] } });
    await waitForReceivedBy(w, B, poll.wa_id, (m) => m.poll?.name === 'Keep this?');
    const del = await send({ type: 'delete', message_id: poll.id });
    const got = await waitForReceivedBy(w, B, poll.wa_id, (m) => m.deleted === true);
    expect(got.poll).toBeUndefined();
    expect(got.text).toBeNull();
    await waitForAtLeast(w, a.token, del.id, 'sent'); // WUTS clears its copy once the delete has left
    expect((await messageOf(w, a.token, poll.id)).content).toBeNull();
  });

  it('B reading the whole chat at once (one receipt for several ids) moves each of them to read', async () => {
    const msgs = [];
    for (const text of ['one of three', 'two of three', 'three of three']) msgs.push(await send({ type: 'text', to: B, text }));
    for (const m of msgs) await waitForStatus(w, a.token, m.id, 'delivered');
    for (const m of msgs) await waitForReceivedBy(w, B, m.wa_id);
    const read = await emulatorApi(w.emu, 'POST', `/admin/accounts/${B}/read`, {});
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.read).toEqual(expect.arrayContaining(msgs.map((m) => m.wa_id)));
    for (const m of msgs) {
      const done = await waitForStatus(w, a.token, m.id, 'read');
      expect(done.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read']);
    }
  });

  it("the chat list shows the chat with B, nothing unread from WUTS's own sends", async () => {
    const res = await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token);
    expect(res.statusCode, res.body).toBe(200);
    const chats = res.json().chats;
    expect(chats.map((c: any) => c.jid)).toContain(jidOf(B));
    const history = await chatHistory(w, a.token, a.deviceId, B);
    const unread = history.filter((m) => m.direction === 'inbound' && m.status === 'received' && !['reaction', 'poll_vote'].includes(m.type)).length;
    expect(chats.find((c: any) => c.jid === jidOf(B)).unread_count).toBe(unread);
  });
});

it('a message to a number that is not on WhatsApp ends failed (not_on_whatsapp), and B gets nothing', async () => {
  const before = (await accountMessages(w, B)).received.length;
  const msg = await send({ type: 'text', to: NOBODY, text: 'anyone there?' });
  const failed = await waitForStatus(w, a.token, msg.id, 'failed');
  expect(failed.reason).toMatch(/^not_on_whatsapp/);
  expect(failed.status_history.map((h: any) => h.status)).toEqual(['queued', 'failed']);
  expect(failed.status_history[1].reason).toMatch(/^not_on_whatsapp/);
  const event = await waitForEvent(w, 'message.status', (d) => d.message_id === msg.id);
  expect(event.data).toMatchObject({ status: 'failed', previous_status: 'queued', chat_jid: jidOf(NOBODY) });
  expect(event.data.reason).toMatch(/^not_on_whatsapp/);
  expect(eventsOf(w, 'message.sent', (d) => d.message?.id === msg.id)).toHaveLength(0);
  expect((await accountMessages(w, B)).received.length).toBe(before);
});

it('every webhook the receiver got verifies with standardwebhooks', async () => {
  expect(w.receiver.requests.length).toBeGreaterThan(10);
  expect(w.receiver.unverified().map((r) => `${r.payload?.type}: ${r.verifyError}`)).toEqual([]);
});
