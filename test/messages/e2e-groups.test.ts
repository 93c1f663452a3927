import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@wuts/wa-emulator';
import { createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { sha256 } from '../helpers/media.js';
import { until } from '../helpers/wait.js';
import {
  createAccount,
  eventsOf,
  jidOf,
  messageOf,
  phoneAction,
  sendMessage,
  startWorld,
  statusEvents,
  tenantWithDevice,
  waitForEvent,
  waitForStatus,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';

/**
 * Group messages through the real Baileys provider and the emulator: a peer (B) creates a group
 * with WUTS's number (A) and C in it; what WUTS sends reaches every member with its mentions,
 * each member's receipt is kept and the message's status moves once all have; what a member
 * sends reaches WUTS with the participant, stored and as a signed webhook; media both ways; an
 * announce-only group refuses WUTS as a non-admin; the group is a chat with unread counts.
 */
const A = '15554440001'; // the WUTS device's number
const B = '15554440002'; // creates the group: its admin
const C = '15554440003';
const GROUP_SUBJECT = 'Order 4711 team';
const JPEG = fs.readFileSync('test/fixtures/photo.jpg');

let w: MessagingWorld;
let a: TenantWithDevice;
let admin: EmulatorAdminClient;
let group: string;
const lids: Record<string, string> = {};

beforeAll(async () => {
  w = await startWorld();
  admin = new EmulatorAdminClient(w.emu);
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Bea');
  await createAccount(w.emu, C, 'Cy');
  for (const p of [A, B, C]) lids[p] = (await admin.account(p)).lid;
  a = await tenantWithDevice(w, A);
  const created = await admin.createGroup(B, GROUP_SUBJECT, [A, C]);
  expect(created.participants.map((p) => p.status)).toEqual(['ok', 'ok']);
  group = created.group.id;
  expect(group).toMatch(/^120363\d{12}@g\.us$/);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

const party = (phone: string) => ({ jid: jidOf(phone), phone, lid: lids[phone] });
const groupMessages = (phone: string) => admin.groupMessages(phone, group, 200);

describe('from WUTS to the group', () => {
  it('a text with a mention reaches every member, who see the mention; receipts per member move the status to delivered, then read', async () => {
    const text = `@${C} can you confirm the delivery date?`;
    const msg = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: group, text, mentions: [C] });
    expect(msg).toMatchObject({ chat_jid: group, recipient: null, sender: null, content: { text, mentions: [{ jid: jidOf(C), phone: C }] } });

    for (const member of [B, C]) {
      const got = await until(`${member} got it`, async () => (await groupMessages(member)).received.find((m) => m.id === msg.wa_id));
      expect(got).toMatchObject({ from: A, group, type: 'text', text, mentions: [C] });
    }

    const delivered = await waitForStatus(w, a.token, msg.id, 'delivered');
    expect(delivered.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    expect(delivered.recipients).toBe(2);
    expect(delivered.receipts.map((r: any) => r.participant).sort((x: any, y: any) => x.phone.localeCompare(y.phone))).toEqual([party(B), party(C)]);
    expect(delivered.receipts.every((r: any) => r.status === 'delivered' && r.delivered_at !== null && r.read_at === null)).toBe(true);

    // one member reads: the message is not read until both have
    expect(await admin.markRead(B, [msg.wa_id])).toEqual([msg.wa_id]);
    await until('B read receipt', async () =>
      (await messageOf(w, a.token, msg.id)).receipts.find((r: any) => r.participant.phone === B && r.status === 'read'),
    );
    expect((await messageOf(w, a.token, msg.id)).status).toBe('delivered');
    const readEvent = await waitForEvent(w, 'message.receipt', (d) => d.message_id === msg.id && d.status === 'read');
    expect(readEvent.data).toEqual({ message_id: msg.id, wa_id: msg.wa_id, chat_jid: group, participant: party(B), status: 'read', at: expect.any(String) });

    expect(await admin.markRead(C, [msg.wa_id])).toEqual([msg.wa_id]);
    const read = await waitForStatus(w, a.token, msg.id, 'read');
    expect(read.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read']);
    expect(read.receipts.map((r: any) => r.status)).toEqual(['read', 'read']);
    await until('message.status webhooks', () => statusEvents(w, msg.id).length >= 3);
    expect(statusEvents(w, msg.id).map((d) => d.status)).toEqual(['sent', 'delivered', 'read']);
  });

  it('mention_all is kept with the text and reaches the members as a mention of everyone', async () => {
    const msg = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: group, text: 'Everyone: stand-up at 9', mention_all: true });
    expect(msg.content).toEqual({ text: 'Everyone: stand-up at 9', mention_all: true });
    for (const member of [B, C]) {
      const got = await until(`${member} got it`, async () => (await groupMessages(member)).received.find((m) => m.id === msg.wa_id));
      expect(got).toMatchObject({ from: A, group, text: 'Everyone: stand-up at 9', mention_all: true });
    }
    await waitForStatus(w, a.token, msg.id, 'delivered');
  });

  it('an image with a captioned mention reaches every member with the same bytes', async () => {
    const msg = await sendMessage(w, a.token, a.deviceId, {
      type: 'image',
      to: group,
      media: { data: JPEG.toString('base64') },
      caption: `@${B} the packing photo`,
      mentions: [jidOf(B)],
    });
    for (const member of [B, C]) {
      const got = await until(`${member} got the image`, async () =>
        (await groupMessages(member)).received.find((m) => m.id === msg.wa_id && m.media?.state === 'downloaded'),
      );
      expect(got).toMatchObject({ from: A, group, type: 'image', text: `@${B} the packing photo`, mentions: [B], media: { sha256: sha256(JPEG) } });
    }
    await waitForStatus(w, a.token, msg.id, 'delivered');
  });
});

describe('every other type to the group', () => {
  const receivedBy = (member: string, waId: string, match: (m: any) => boolean = () => true) =>
    until(`${member} has ${waId}`, async () => (await groupMessages(member)).received.find((m) => m.id === waId && match(m)));

  it('location and contact reach the members', async () => {
    const location = { latitude: 52.52, longitude: 13.405, name: 'Warehouse', address: 'Berlin' };
    const loc = await sendMessage(w, a.token, a.deviceId, { type: 'location', to: group, location });
    const card = await sendMessage(w, a.token, a.deviceId, { type: 'contact', to: group, contact: { name: 'Dispatch', phone: '15557770001' } });
    for (const member of [B, C]) {
      expect(await receivedBy(member, loc.wa_id)).toMatchObject({ from: A, group, type: 'location', location });
      expect(await receivedBy(member, card.wa_id)).toMatchObject({ from: A, group, type: 'contact', contact: { name: 'Dispatch' } });
    }
    await waitForStatus(w, a.token, card.id, 'delivered');
  });

  it("a poll reaches the members and a member's vote comes back with the option names", async () => {
    const poll = await sendMessage(w, a.token, a.deviceId, { type: 'poll', to: group, poll: { name: 'Ship on?', options: ['Monday', 'Tuesday'] } });
    await receivedBy(C, poll.wa_id, (m) => m.poll?.name === 'Ship on?');
    const vote = await phoneAction(w, C, poll.wa_id, 'vote', { options: ['Tuesday'] });
    const event = await waitForEvent(w, 'message.received', (d) => d.message?.type === 'poll_vote' && d.message.target_wa_id === poll.wa_id);
    expect(event.data.message).toMatchObject({
      chat_jid: group,
      wa_id: vote.action_id,
      target_message_id: poll.id,
      sender: party(C),
      content: { options: ['Tuesday'] },
    });
  });

  it('an edit and a delete of a text WUTS sent apply at every member', async () => {
    const original = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: group, text: 'Pickup at 10' });
    await waitForStatus(w, a.token, original.id, 'delivered');
    await sendMessage(w, a.token, a.deviceId, { type: 'edit', message_id: original.id, text: 'Pickup at 11' });
    for (const member of [B, C]) expect(await receivedBy(member, original.wa_id, (m) => m.edited)).toMatchObject({ text: 'Pickup at 11', edited: true });
    await sendMessage(w, a.token, a.deviceId, { type: 'delete', message_id: original.id });
    for (const member of [B, C]) expect(await receivedBy(member, original.wa_id, (m) => m.deleted)).toMatchObject({ deleted: true, text: null });
    await until('deleted at WUTS too', async () => (await messageOf(w, a.token, original.id)).deleted_at);
  });
});

describe('from a member to WUTS', () => {
  it("B's text arrives with the group and the participant, stored, as a signed webhook; the group is a chat with its subject and unread count", async () => {
    const sent = await admin.sendGroup(B, group, { text: `Thanks @${A}!`, mentions: [A] });
    const stored = await waitForStored(w, a.token, a.deviceId, group, "B's group text", (m) => m.wa_id === sent.id);
    expect(stored).toMatchObject({
      direction: 'inbound',
      chat_jid: group,
      sender_jid: jidOf(B),
      sender: party(B),
      recipient: null,
      status: 'received',
      type: 'text',
      content: { text: `Thanks @${A}!` },
    });
    expect(stored.content.mentions).toEqual([{ jid: lids[A], phone: null, lid: lids[A] }]); // a LID group mentions by LID
    const event = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
    expect(event).toMatchObject({ tenant_id: a.tenantId, device_id: a.deviceId });
    expect(event.data.message).toEqual(stored);

    const chats = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats;
    const chat = chats.find((c: any) => c.jid === group);
    expect(chat).toMatchObject({ jid: group, type: 'group', phone: null, lid: null, name: GROUP_SUBJECT, unread_count: 1, last_message: { id: stored.id } });
    // the member is a contact with both identities; the group is no contact
    const contacts = (await w.t.call('GET', `/devices/${a.deviceId}/contacts`, a.token)).json().contacts;
    expect(contacts.find((c: any) => c.jid === jidOf(B))).toMatchObject({ phone: B, lid: lids[B], name: 'Bea' });
    expect(contacts.some((c: any) => c.jid === group)).toBe(false);
  });

  it("C's image arrives and is downloaded; marking the group read sends receipts that name the participant", async () => {
    const sent = await admin.sendGroup(C, group, { type: 'image', media: { data: JPEG.toString('base64') }, caption: 'from Cy' });
    const stored = await waitForStored(w, a.token, a.deviceId, group, "C's image stored", (m) => m.wa_id === sent.id && m.content?.media?.state === 'stored');
    expect(stored).toMatchObject({ sender: party(C), type: 'image', content: { caption: 'from Cy', media: { sha256: sha256(JPEG) } } });
    const file = await w.t.call('GET', `/messages/${stored.id}/media`, a.token);
    expect(file.statusCode).toBe(200);
    expect(sha256(file.rawPayload)).toBe(sha256(JPEG));

    let chat = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats.find((c: any) => c.jid === group);
    expect(chat.unread_count).toBe(2);
    const res = await w.t.call('POST', `/devices/${a.deviceId}/read`, a.token, { chat: group });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ success: true, read: 2 });
    chat = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats.find((c: any) => c.jid === group);
    expect(chat.unread_count).toBe(0);
    // each sender sees A's read receipt on its own message
    await until(
      "A's read on C's image",
      async () => (await groupMessages(C)).sent.find((m) => m.id === sent.id)?.receipts?.find((r) => r.phone === A)?.read_at,
    );
    const bSent = (await groupMessages(B)).sent;
    await until("A's read on B's text", async () => (await groupMessages(B)).sent.at(-1)?.receipts?.find((r) => r.phone === A)?.read_at);
    expect(bSent.length).toBeGreaterThan(0);
  });

  it('a reaction from WUTS to a member’s message reaches the member', async () => {
    const sent = await admin.sendGroup(C, group, { text: 'Shipped!' });
    const stored = await waitForStored(w, a.token, a.deviceId, group, 'the text to react to', (m) => m.wa_id === sent.id);
    const reaction = await sendMessage(w, a.token, a.deviceId, { type: 'reaction', message_id: stored.id, emoji: '🎉' });
    expect(reaction.chat_jid).toBe(group);
    await until('the reaction at C', async () =>
      (await groupMessages(C)).sent.find((m) => m.id === sent.id)?.reactions.some((r) => r.from === A && r.emoji === '🎉'),
    );
  });
});

describe('the group chat', () => {
  it("follows the group's subject when an admin changes it", async () => {
    await admin.updateGroup(B, group, { subject: 'Order 4711 team (closing)' });
    await until('the chat renamed', async () => {
      const chats = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats;
      return chats.find((c: any) => c.jid === group && c.name === 'Order 4711 team (closing)');
    });
  });
});

describe('an announce-only group', () => {
  it('refuses a message from WUTS, which is no admin: the message fails with the reason; once open again it goes', async () => {
    await admin.updateGroup(B, group, { announce: true });
    const msg = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: group, text: 'may I post?' });
    const failed = await waitForStatus(w, a.token, msg.id, 'failed');
    expect(failed.reason).toBe('WhatsApp refused the message: only admins can send messages to this group, or this number is not a participant (403)');
    const event = await waitForEvent(w, 'message.status', (d) => d.message_id === msg.id && d.status === 'failed');
    expect(event.data.reason).toBe(failed.reason);
    expect((await groupMessages(C)).received.some((m) => m.id === msg.wa_id)).toBe(false);

    await admin.updateGroup(B, group, { announce: false });
    const again = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: group, text: 'open again' });
    await waitForStatus(w, a.token, again.id, 'delivered');
  });
});

describe('refusals', () => {
  it('a bad group JID is a 400; mention_all to a user and mentions of no user are 400s', async () => {
    for (const [body, code] of [
      [{ type: 'text', to: 'abc@g.us', text: 'x' }, 'invalid_recipient'],
      [{ type: 'text', to: '1@g.us', text: 'x' }, 'invalid_recipient'],
      [{ type: 'text', to: B, text: 'x', mention_all: true }, 'invalid_mentions'],
      [{ type: 'text', to: group, text: 'x', mentions: ['not-a-user'] }, 'invalid_recipient'],
      [{ type: 'text', to: group, text: 'x', mentions: [group] }, 'invalid_recipient'],
      [{ type: 'image', to: group, media: { data: JPEG.toString('base64') }, mentions: [B] }, 'missing_field'],
    ] as const) {
      const res = await w.t.call('POST', `/devices/${a.deviceId}/messages`, a.token, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ success: false, code });
    }
    const history = await w.t.call('GET', `/devices/${a.deviceId}/chats/abc@g.us/messages`, a.token);
    expect(history.statusCode).toBe(400);
  });

  it('a viewer sending to the group is a 403; another tenant reading a group message is a 404', async () => {
    const viewer: UserFixture = await createUser(w.t, { adminToken: a.token, tenantId: a.tenantId } as TenantFixture, 'viewer');
    const res = await w.t.call('POST', `/devices/${a.deviceId}/messages`, viewer.token, { type: 'text', to: group, text: 'hi' });
    expect(res.statusCode, res.body).toBe(403);
    const read = await w.t.call('POST', `/devices/${a.deviceId}/read`, viewer.token, { chat: group });
    expect(read.statusCode).toBe(403);

    const ours = (eventsOf(w, 'message.received', (d) => d.message?.chat_jid === group)[0]!.payload as any).data.message;
    const other = await w.t.call('POST', '/register', w.t.masterToken, {
      tenant_name: 'Other tenant groups',
      email: 'other-groups@example.test',
      password: 'password-123',
    });
    expect(other.statusCode, other.body).toBe(201);
    const token = other.json().token as string;
    const get = await w.t.call('GET', `/messages/${ours.id}`, token);
    expect(get.statusCode).toBe(404);
    const history = await w.t.call('GET', `/devices/${a.deviceId}/chats/${group}/messages`, token);
    expect(history.statusCode).toBe(404);
  });
});
