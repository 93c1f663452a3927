import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { chatHistory, createDevice, expectError, expectQueuedView, getMessage, insertRow, jidOf, phone, send, sendOk, WA_ID } from './api-helpers.js';

/**
 * POST /devices/{id}/messages: one case per rule of the body, each a 400 with its stable code,
 * and the message view of what is accepted. The device was never connected: nothing leaves.
 */

let t: TestApp;
let tenant: TenantFixture;
let agent: UserFixture;
let deviceId: string;
let otherDeviceId: string;
const PEER = phone();
const PEER_JID = jidOf(PEER);

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  agent = await createUser(t, tenant, 'agent');
  deviceId = await createDevice(t, tenant.adminToken);
  otherDeviceId = await createDevice(t, tenant.adminToken);
});
afterAll(async () => {
  await t?.close();
});

const text = (extra: Record<string, unknown> = {}) => ({ type: 'text', to: PEER, text: 'hello', ...extra });

async function expect400(body: unknown, code: string) {
  const res = await send(t, agent.token, deviceId, body);
  expectError(res, 400, code);
  return res;
}

/** How many messages the device has stored: a refused request stores none. */
async function rowCount(): Promise<number> {
  const row = await t.deps.db.kysely
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('device_id', '=', deviceId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('the body, by schema (code invalid_request)', () => {
  it.each([
    ['missing type', { to: PEER, text: 'hi' }],
    ['unknown type', { type: 'telegram', to: PEER, text: 'hi' }],
    ['a type WhatsApp sends but this route does not', { type: 'poll_vote', to: PEER, text: 'hi' }],
    ['an unknown field (no mass assignment)', text({ status: 'sent' })],
    ['an unknown field setting the id', text({ id: '01890000-0000-7000-8000-000000000000' })],
    ['an unknown field setting the wa_id', text({ wa_id: '3EB0AAAAAAAAAAAAAAAAAA' })],
    ['an unknown field inside location', { type: 'location', to: PEER, location: { latitude: 1, longitude: 2, altitude: 3 } }],
    ['an unknown field inside poll', { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b'], secret: 'x' } }],
    ['an empty text', text({ text: '' })],
    ['a text over 4096 characters', text({ text: 'x'.repeat(4097) })],
    ['a text that is not a string', text({ text: 42 })],
    ['link_preview as a string (no coercion)', text({ link_preview: 'true' })],
    ['latitude above 90', { type: 'location', to: PEER, location: { latitude: 90.0001, longitude: 0 } }],
    ['latitude below -90', { type: 'location', to: PEER, location: { latitude: -91, longitude: 0 } }],
    ['longitude above 180', { type: 'location', to: PEER, location: { latitude: 0, longitude: 180.5 } }],
    ['longitude below -180', { type: 'location', to: PEER, location: { latitude: 0, longitude: -181 } }],
    ['a location without longitude', { type: 'location', to: PEER, location: { latitude: 0 } }],
    ['a contact phone that is not digits', { type: 'contact', to: PEER, contact: { name: 'Ann', phone: '+1 555 0100' } }],
    ['a poll with 1 option', { type: 'poll', to: PEER, poll: { name: 'q', options: ['only'] } }],
    ['a poll with 13 options', { type: 'poll', to: PEER, poll: { name: 'q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) } }],
    ['a poll option over 100 characters', { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b'.repeat(101)] } }],
    ['a negative selectable_count', { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b'], selectable_count: -1 } }],
    ['ttl_seconds below 10', text({ ttl_seconds: 9 })],
    ['ttl_seconds above 7 days', text({ ttl_seconds: 7 * 24 * 3600 + 1 })],
    ['ttl_seconds not an integer', text({ ttl_seconds: 30.5 })],
    ['message_id that is not a UUID', { type: 'reaction', message_id: 'abc', emoji: '👍' }],
    ['reply_to that is not a UUID', text({ reply_to: 'abc' })],
    ['an empty to', { type: 'text', to: '', text: 'hi' }],
    ['a body that is an array', [text()]],
  ])('%s', async (_name, body) => {
    const before = await rowCount();
    await expect400(body, 'invalid_request');
    expect(await rowCount()).toBe(before);
  });

  it('no body at all', async () => {
    expectError(await send(t, agent.token, deviceId, undefined), 400, 'invalid_request');
  });

  it('malformed JSON', async () => {
    const res = await send(t, agent.token, deviceId, '{"type":"text",', { 'content-type': 'application/json' });
    expectError(res, 400, 'invalid_json');
  });

  it('a text of exactly 4096 characters is accepted', async () => {
    const long = 'é'.repeat(4096);
    const m = await sendOk(t, agent.token, deviceId, text({ text: long }));
    expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'text', content: { text: long } });
  });
});

describe('the fields of each type', () => {
  it.each([
    ['text without to', { type: 'text', text: 'hi' }],
    ['text without text', { type: 'text', to: PEER }],
    ['location without to', { type: 'location', location: { latitude: 1, longitude: 2 } }],
    ['location without location', { type: 'location', to: PEER }],
    ['contact without to', { type: 'contact', contact: { name: 'Ann', phone: '15550100000' } }],
    ['contact without contact', { type: 'contact', to: PEER }],
    ['poll without to', { type: 'poll', poll: { name: 'q', options: ['a', 'b'] } }],
    ['poll without poll', { type: 'poll', to: PEER }],
    ['reaction without message_id', { type: 'reaction', emoji: '👍' }],
    ['reaction without emoji', { type: 'reaction', message_id: '01890000-0000-7000-8000-000000000000' }],
    ['edit without message_id', { type: 'edit', text: 'new' }],
    ['edit without text', { type: 'edit', message_id: '01890000-0000-7000-8000-000000000000' }],
    ['delete without message_id', { type: 'delete' }],
  ])('%s: 400 missing_field', async (_name, body) => {
    await expect400(body, 'missing_field');
  });

  it.each([
    ['text with location', text({ location: { latitude: 1, longitude: 2 } })],
    ['text with emoji', text({ emoji: '👍' })],
    ['text with message_id', text({ message_id: '01890000-0000-7000-8000-000000000000' })],
    ['location with text', { type: 'location', to: PEER, location: { latitude: 1, longitude: 2 }, text: 'hi' }],
    ['location with link_preview', { type: 'location', to: PEER, location: { latitude: 1, longitude: 2 }, link_preview: true }],
    ['contact with poll', { type: 'contact', to: PEER, contact: { name: 'Ann', phone: '15550100000' }, poll: { name: 'q', options: ['a', 'b'] } }],
    ['poll with text', { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b'] }, text: 'hi' }],
    ['reaction with text', { type: 'reaction', message_id: '01890000-0000-7000-8000-000000000000', emoji: '👍', text: 'hi' }],
    [
      'reaction with reply_to',
      { type: 'reaction', message_id: '01890000-0000-7000-8000-000000000000', emoji: '👍', reply_to: '01890000-0000-7000-8000-000000000000' },
    ],
    ['edit with link_preview', { type: 'edit', message_id: '01890000-0000-7000-8000-000000000000', text: 'x', link_preview: true }],
    ['delete with text', { type: 'delete', message_id: '01890000-0000-7000-8000-000000000000', text: 'x' }],
    ['delete with emoji', { type: 'delete', message_id: '01890000-0000-7000-8000-000000000000', emoji: '👍' }],
  ])('%s: 400 field_not_allowed', async (_name, body) => {
    const res = await expect400(body, 'field_not_allowed');
    expect(res.json().error).toMatch(/is not a field of a/);
  });
});

describe('recipients', () => {
  it.each([
    ['letters', 'hello'],
    ['a number too short', '12345'],
    ['a number starting with 0', '0155500011112'],
    ['a number too long', '1234567890123456'],
    ['a JID of an unknown server', '15550001111@example.com'],
    ['a broadcast JID', 'status@broadcast'],
    ['a number with a letter among its punctuation', '+1 555 000 111x'],
    ['a number too short once its punctuation is dropped', '+1 (23) 4-5'],
    ['a JID with punctuation', '+1 555-000-1111@s.whatsapp.net'],
  ])('to as %s: 400 invalid_recipient', async (_name, to) => {
    const res = await expect400({ type: 'text', to, text: 'hi' }, 'invalid_recipient');
    expect(res.json().error).toMatch(/^to must be a phone number with the country code/);
  });

  it.each([
    ['+55 11 98765-4321', '5511987654321'],
    ['+55 (11) 98765-4321', '5511987654321'],
    ['1.555.000.1111', '15550001111'],
    [' +1 (555) 000 1111 ', '15550001111'],
  ])('to as people write it, %j: queued to %s', async (to, digits) => {
    const m = await sendOk(t, agent.token, deviceId, { type: 'text', to, text: 'hi' });
    expectQueuedView(m, { deviceId, chatJid: jidOf(digits), type: 'text', content: { text: 'hi' } });
  });

  it('a group JID is a recipient: the message is queued to the group, with its mentions', async () => {
    const group = '120363025246125244@g.us';
    const m = await sendOk(t, agent.token, deviceId, { type: 'text', to: group, text: 'hi @15550009999', mentions: ['15550009999'], mention_all: true });
    expectQueuedView(m, {
      deviceId,
      chatJid: group,
      type: 'text',
      content: { text: 'hi @15550009999', mentions: [{ jid: '15550009999@s.whatsapp.net', phone: '15550009999', lid: null }], mention_all: true },
    });
  });

  it.each(['abc@g.us', '1@g.us', '120363-@g.us'])('a bad group JID %j: 400 invalid_recipient', async (to) => {
    await expect400({ type: 'text', to, text: 'hi' }, 'invalid_recipient');
  });

  it('mention_all to a user: 400 invalid_mentions; a mention that is no user: 400 invalid_recipient', async () => {
    await expect400({ type: 'text', to: PEER, text: 'hi all', mention_all: true }, 'invalid_mentions');
    await expect400({ type: 'text', to: '120363025246125244@g.us', text: 'hi', mentions: ['120363025246125244@g.us'] }, 'invalid_recipient');
  });

  it('+digits, digits, a JID and a JID with a device part all give digits@s.whatsapp.net', async () => {
    const p = phone();
    for (const to of [`+${p}`, p, `${p}@s.whatsapp.net`, `${p}:7@s.whatsapp.net`, ` ${p} `]) {
      const m = await sendOk(t, agent.token, deviceId, { type: 'text', to, text: `to ${to}` });
      expectQueuedView(m, { deviceId, chatJid: jidOf(p), type: 'text', content: { text: `to ${to}` } });
    }
    // one chat, five messages
    expect((await chatHistory(t, agent.token, deviceId, p)).map((m) => m.content.text)).toEqual(
      [` ${p} `, `${p}:7@s.whatsapp.net`, `${p}@s.whatsapp.net`, p, `+${p}`].map((to) => `to ${to}`),
    );
  });

  it('a LID is kept as a LID chat', async () => {
    const m = await sendOk(t, agent.token, deviceId, { type: 'text', to: '123456789012345@lid', text: 'lid' });
    expect(m.chat_jid).toBe('123456789012345@lid');
  });
});

describe('text', () => {
  it.each([
    ['spaces', '    '],
    ['newlines and tabs', '\n\t\r\n'],
  ])('blank (%s): 400 invalid_text', async (_name, value) => {
    await expect400(text({ text: value }), 'invalid_text');
  });

  it('the whole view of a queued text, and GET /messages/{id} shows the same', async () => {
    const m = await sendOk(t, agent.token, deviceId, text({ text: 'see https://example.com', link_preview: true }));
    expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'text', content: { text: 'see https://example.com', link_preview: true } });
    const got = await getMessage(t, agent.token, m.id);
    expect(got).toEqual({ ...m, status_history: [{ status: 'queued', reason: null, at: m.created_at }], recipients: null, receipts: [] });
  });

  it('link_preview false is not stored as a field', async () => {
    const m = await sendOk(t, agent.token, deviceId, text({ text: 'plain', link_preview: false }));
    expect(m.content).toEqual({ text: 'plain' });
  });

  it('ttl_seconds at its bounds is accepted and sets expires_at', async () => {
    for (const ttl of [10, 7 * 24 * 3600]) {
      const m = await sendOk(t, agent.token, deviceId, text({ ttl_seconds: ttl }));
      expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'text', content: { text: 'hello' }, ttlSeconds: ttl });
    }
  });
});

describe('location', () => {
  it('accepted at the bounds, with name and address', async () => {
    const location = { latitude: -90, longitude: 180, name: 'South Pole', address: 'Antarctica' };
    const m = await sendOk(t, agent.token, deviceId, { type: 'location', to: PEER, location });
    expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'location', content: location });
  });
});

describe('contact', () => {
  it('both phone and vcard: 400 invalid_contact', async () => {
    await expect400(
      { type: 'contact', to: PEER, contact: { name: 'Ann', phone: '15550100000', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD' } },
      'invalid_contact',
    );
  });
  it('neither phone nor vcard: 400 invalid_contact', async () => {
    await expect400({ type: 'contact', to: PEER, contact: { name: 'Ann' } }, 'invalid_contact');
  });
  it.each([
    ['plain text', 'Ann, +1 555 0100'],
    ['no END', 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann'],
    ['no BEGIN', 'VERSION:3.0\nFN:Ann\nEND:VCARD'],
  ])('a malformed vcard (%s): 400 invalid_contact', async (_name, vcard) => {
    await expect400({ type: 'contact', to: PEER, contact: { name: 'Ann', vcard } }, 'invalid_contact');
  });
  it('a phone: WUTS builds the vCard', async () => {
    const m = await sendOk(t, agent.token, deviceId, { type: 'contact', to: PEER, contact: { name: 'Ann;Lee', phone: '15550100000' } });
    expectQueuedView(m, {
      deviceId,
      chatJid: PEER_JID,
      type: 'contact',
      content: { name: 'Ann;Lee', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\nTEL;type=CELL;type=VOICE;waid=15550100000:+15550100000\nEND:VCARD' },
    });
  });
  it('a vcard is kept as given (trimmed)', async () => {
    const vcard = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nTEL:+15550100001\r\nEND:VCARD';
    const m = await sendOk(t, agent.token, deviceId, { type: 'contact', to: PEER, contact: { name: 'Bob', vcard: `  ${vcard}\n` } });
    expect(m.content).toEqual({ name: 'Bob', vcard });
  });
});

describe('poll', () => {
  it('duplicate options: 400 invalid_poll', async () => {
    await expect400({ type: 'poll', to: PEER, poll: { name: 'q', options: ['yes', 'no', 'yes'] } }, 'invalid_poll');
  });
  it('options equal once trimmed: 400 invalid_poll', async () => {
    await expect400({ type: 'poll', to: PEER, poll: { name: 'q', options: ['yes', ' yes '] } }, 'invalid_poll');
  });
  it('a blank option: 400 invalid_poll', async () => {
    await expect400({ type: 'poll', to: PEER, poll: { name: 'q', options: ['yes', '   '] } }, 'invalid_poll');
  });
  it('selectable_count above the number of options: 400 invalid_poll', async () => {
    await expect400({ type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b', 'c'], selectable_count: 4 } }, 'invalid_poll');
  });
  it('12 options with selectable_count 0 are accepted', async () => {
    const options = Array.from({ length: 12 }, (_, i) => `option ${i + 1}`);
    const m = await sendOk(t, agent.token, deviceId, { type: 'poll', to: PEER, poll: { name: 'Pick any', options, selectable_count: 0 } });
    expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'poll', content: { name: 'Pick any', options, selectable_count: 0 } });
  });
  it('the view never shows the secret the votes are encrypted with, anywhere', async () => {
    const p = phone();
    const m = await sendOk(t, agent.token, deviceId, { type: 'poll', to: p, poll: { name: 'Lunch?', options: [' pizza', 'sushi '] } });
    expectQueuedView(m, { deviceId, chatJid: jidOf(p), type: 'poll', content: { name: 'Lunch?', options: ['pizza', 'sushi'], selectable_count: 1 } });
    // the secret exists (stored for decrypting votes) ...
    const row = await t.deps.db.kysely.selectFrom('messages').select('content_json').where('id', '=', m.id).executeTakeFirstOrThrow();
    const secret = JSON.parse(row.content_json).secret as string;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // ... and no answer shows it
    const answers = [
      await t.call('GET', `/messages/${m.id}`, agent.token),
      await t.call('GET', `/devices/${deviceId}/chats/${p}/messages`, agent.token),
      await t.call('GET', `/devices/${deviceId}/chats?limit=500`, agent.token),
    ];
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain('"secret"');
    }
    expect((await getMessage(t, agent.token, m.id)).content).toEqual({ name: 'Lunch?', options: ['pizza', 'sushi'], selectable_count: 1 });
  });
});

describe('reaction, edit and delete', () => {
  const UNKNOWN = '01890000-0000-7000-8000-00000000abcd';

  it.each([
    ['a letter', 'a'],
    ['a word', 'ok'],
    ['digits', '1'],
    ['an emoji with a space', '👍 '],
    ['nine accented letters', 'ééééééééé'],
    ['an accented letter', 'é'],
    ['a CJK character', '中'],
    ['letters and an emoji', 'ok👍'],
  ])('reaction with %s: 400 invalid_emoji', async (_name, emoji) => {
    const target = await sendOk(t, agent.token, deviceId, text());
    await expect400({ type: 'reaction', message_id: target.id, emoji }, 'invalid_emoji');
  });

  it.each([
    ['a heart with its variation selector', '❤️'],
    ['a thumb with a skin tone', '👍🏽'],
    ['a family (ZWJ sequence)', '👨‍👩‍👧'],
    ['a flag', '🇵🇹'],
  ])('reaction with %s is accepted', async (_name, emoji) => {
    const target = await sendOk(t, agent.token, deviceId, text());
    const m = await sendOk(t, agent.token, deviceId, { type: 'reaction', message_id: target.id, emoji });
    expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'reaction', content: { emoji }, target: { id: target.id, wa_id: target.wa_id } });
  });

  it.each(['reaction', 'edit', 'delete'])('%s of an unknown message_id: 404', async (type) => {
    const body = { type, message_id: UNKNOWN, ...(type === 'reaction' ? { emoji: '👍' } : type === 'edit' ? { text: 'new' } : {}) };
    expectError(await send(t, agent.token, deviceId, body), 404, 'not_found');
  });

  it.each(['reaction', 'edit', 'delete'])('%s of a message of another device of the tenant: 404', async (type) => {
    const other = await sendOk(t, agent.token, otherDeviceId, text());
    const body = { type, message_id: other.id, ...(type === 'reaction' ? { emoji: '👍' } : type === 'edit' ? { text: 'new' } : {}) };
    expectError(await send(t, agent.token, deviceId, body), 404, 'not_found');
  });

  it('a reaction, an edit and a delete of a message this device sent are queued, aimed at it', async () => {
    const target = await sendOk(t, agent.token, deviceId, text({ text: 'original' }));
    const ref = { id: target.id, wa_id: target.wa_id };
    const reaction = await sendOk(t, agent.token, deviceId, { type: 'reaction', message_id: target.id, emoji: '❤️' });
    expectQueuedView(reaction, { deviceId, chatJid: PEER_JID, type: 'reaction', content: { emoji: '❤️' }, target: ref });
    const removal = await sendOk(t, agent.token, deviceId, { type: 'reaction', message_id: target.id, emoji: '' });
    expectQueuedView(removal, { deviceId, chatJid: PEER_JID, type: 'reaction', content: { emoji: '' }, target: ref });
    const edit = await sendOk(t, agent.token, deviceId, { type: 'edit', message_id: target.id, text: 'corrected', to: PEER });
    expectQueuedView(edit, { deviceId, chatJid: PEER_JID, type: 'edit', content: { text: 'corrected' }, target: ref });
    const del = await sendOk(t, agent.token, deviceId, { type: 'delete', message_id: target.id });
    expectQueuedView(del, { deviceId, chatJid: PEER_JID, type: 'delete', content: {}, target: ref });
    // each has its own WhatsApp id
    expect(new Set([target.wa_id, reaction.wa_id, removal.wa_id, edit.wa_id, del.wa_id]).size).toBe(5);
  });

  it('a reaction to an inbound message is accepted', async () => {
    const inbound = await insertRow(t, tenant.tenantId, deviceId, { chat_jid: PEER_JID });
    const m = await sendOk(t, agent.token, deviceId, { type: 'reaction', message_id: inbound.id, emoji: '👍' });
    expectQueuedView(m, { deviceId, chatJid: PEER_JID, type: 'reaction', content: { emoji: '👍' }, target: { id: inbound.id, wa_id: inbound.wa_id } });
  });

  it('edit of an inbound message: 400 not_editable', async () => {
    const inbound = await insertRow(t, tenant.tenantId, deviceId, { chat_jid: PEER_JID });
    await expect400({ type: 'edit', message_id: inbound.id, text: 'mine now' }, 'not_editable');
  });

  it('edit of a message that is not a text: 400 not_editable', async () => {
    const location = await sendOk(t, agent.token, deviceId, { type: 'location', to: PEER, location: { latitude: 1, longitude: 2 } });
    await expect400({ type: 'edit', message_id: location.id, text: 'x' }, 'not_editable');
    const poll = await sendOk(t, agent.token, deviceId, { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b'] } });
    await expect400({ type: 'edit', message_id: poll.id, text: 'x' }, 'not_editable');
  });

  it('edit of a text sent more than 15 minutes ago: 400 edit_window_passed', async () => {
    const old = await insertRow(t, tenant.tenantId, deviceId, {
      chat_jid: PEER_JID,
      from_me: true,
      created_at: new Date(Date.now() - 16 * 60_000).toISOString(),
    });
    await expect400({ type: 'edit', message_id: old.id, text: 'late' }, 'edit_window_passed');
  });

  it('delete of an inbound message: 400 not_deletable', async () => {
    const inbound = await insertRow(t, tenant.tenantId, deviceId, { chat_jid: PEER_JID });
    await expect400({ type: 'delete', message_id: inbound.id }, 'not_deletable');
  });

  it('a reaction to a reaction: 400 invalid_target', async () => {
    const target = await sendOk(t, agent.token, deviceId, text());
    const reaction = await sendOk(t, agent.token, deviceId, { type: 'reaction', message_id: target.id, emoji: '👍' });
    await expect400({ type: 'reaction', message_id: reaction.id, emoji: '👎' }, 'invalid_target');
  });

  it('`to` naming another chat than the message_id: 400 chat_mismatch', async () => {
    const target = await sendOk(t, agent.token, deviceId, text());
    await expect400({ type: 'reaction', message_id: target.id, emoji: '👍', to: phone() }, 'chat_mismatch');
  });

  it('a deleted message cannot be the target: 400 message_deleted', async () => {
    const gone = await insertRow(t, tenant.tenantId, deviceId, {
      chat_jid: PEER_JID,
      deleted_at: new Date().toISOString(),
      content_json: JSON.stringify({ type: 'text' }),
    });
    await expect400({ type: 'reaction', message_id: gone.id, emoji: '👍' }, 'message_deleted');
  });
});

describe('reply_to', () => {
  it('a message of another chat: 400 chat_mismatch', async () => {
    const elsewhere = await sendOk(t, agent.token, deviceId, { type: 'text', to: phone(), text: 'elsewhere' });
    await expect400(text({ reply_to: elsewhere.id }), 'chat_mismatch');
  });

  it('an unknown message, or one of another device: 404', async () => {
    expectError(await send(t, agent.token, deviceId, text({ reply_to: '01890000-0000-7000-8000-00000000beef' })), 404, 'not_found');
    const other = await sendOk(t, agent.token, otherDeviceId, text());
    expectError(await send(t, agent.token, deviceId, text({ reply_to: other.id })), 404, 'not_found');
  });

  it('a message of the same chat is quoted, for text, location, contact and poll', async () => {
    const inbound = await insertRow(t, tenant.tenantId, deviceId, { chat_jid: PEER_JID });
    const quoted = { id: inbound.id, wa_id: inbound.wa_id };
    const reply = await sendOk(t, agent.token, deviceId, text({ text: 'a reply', reply_to: inbound.id }));
    expectQueuedView(reply, { deviceId, chatJid: PEER_JID, type: 'text', content: { text: 'a reply' }, quoted });
    const loc = await sendOk(t, agent.token, deviceId, { type: 'location', to: PEER, location: { latitude: 1, longitude: 2 }, reply_to: inbound.id });
    expect(loc.quoted_message_id).toBe(inbound.id);
    const contact = await sendOk(t, agent.token, deviceId, { type: 'contact', to: PEER, contact: { name: 'A', phone: '15550100000' }, reply_to: inbound.id });
    expect(contact.quoted_message_id).toBe(inbound.id);
    const poll = await sendOk(t, agent.token, deviceId, { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b'] }, reply_to: inbound.id });
    expect(poll.quoted_wa_id).toBe(inbound.wa_id);
  });

  // ids are UUIDs, which are case-insensitive: app.ts lower-cases body id fields for this
  it('message_id spelled in upper case finds the same message', async () => {
    const inbound = await insertRow(t, tenant.tenantId, deviceId, { chat_jid: PEER_JID });
    const reaction = await sendOk(t, agent.token, deviceId, { type: 'reaction', message_id: inbound.id.toUpperCase(), emoji: '👍' });
    expectQueuedView(reaction, { deviceId, chatJid: PEER_JID, type: 'reaction', content: { emoji: '👍' }, target: { id: inbound.id, wa_id: inbound.wa_id } });
  });

  it('reply_to spelled in upper case finds the same message', async () => {
    const inbound = await insertRow(t, tenant.tenantId, deviceId, { chat_jid: PEER_JID });
    const reply = await sendOk(t, agent.token, deviceId, text({ text: 'upper', reply_to: inbound.id.toUpperCase() }));
    expectQueuedView(reply, { deviceId, chatJid: PEER_JID, type: 'text', content: { text: 'upper' }, quoted: { id: inbound.id, wa_id: inbound.wa_id } });
  });
});

describe('the wire', () => {
  it('a body over its limit (WUTS_BODY_LIMIT_BYTES, or what WUTS_INLINE_MEDIA_MAX_BYTES needs in base64): 413 body_too_large, and nothing is stored', async () => {
    // the send route takes an inline file of up to 1024 bytes: its limit is 4/3 of that in base64 plus 8 KiB, 9,558 bytes
    const small = await createTestApp({ bodyLimitBytes: 4096, inlineMediaMaxBytes: 1024 });
    try {
      const tn = await createTenant(small);
      const dev = await createDevice(small, tn.adminToken);
      const ok = await small.call('POST', `/devices/${dev}/messages`, tn.adminToken, { type: 'text', to: PEER, text: 'x'.repeat(3000) });
      expect(ok.statusCode, ok.body).toBe(202);
      // 3,000 characters (within the text limit), 12,000 bytes
      const res = await small.call('POST', `/devices/${dev}/messages`, tn.adminToken, { type: 'text', to: PEER, text: '😀'.repeat(3000) });
      expectError(res, 413, 'body_too_large');
      // other routes keep WUTS_BODY_LIMIT_BYTES
      const big = await small.call('POST', '/webhooks', tn.adminToken, { url: 'https://example.com/hook', description: 'x'.repeat(5000) });
      expectError(big, 413, 'body_too_large');
      const history = await small.call('GET', `/devices/${dev}/chats/${PEER}/messages`, tn.adminToken);
      expect(history.json().messages.map((m: { id: string }) => m.id)).toEqual([ok.json().message.id]);
    } finally {
      await small.close();
    }
  });

  it.each([
    ['text/plain', JSON.stringify(text())],
    ['application/x-www-form-urlencoded', 'type=text&to=15550001111&text=hi'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="type"\r\n\r\ntext\r\n--x--\r\n'],
  ])('content type %s: 415 unsupported_media_type', async (contentType, payload) => {
    const res = await send(t, agent.token, deviceId, payload, { 'content-type': contentType });
    expectError(res, 415, 'unsupported_media_type');
  });

  it.each([
    ['in text', text({ text: 'a\u0000b' })],
    ['in to', { type: 'text', to: `${PEER}\u0000`, text: 'hi' }],
    ['in a poll option', { type: 'poll', to: PEER, poll: { name: 'q', options: ['a', 'b\u0000'] } }],
    ['in a contact vcard', { type: 'contact', to: PEER, contact: { name: 'A', vcard: 'BEGIN:VCARD\n\u0000\nEND:VCARD' } }],
  ])('a NUL character %s: 400 invalid_characters', async (_name, body) => {
    const before = await rowCount();
    const res = await send(t, agent.token, deviceId, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, error: 'text must not contain NUL characters', code: 'invalid_characters' });
    expect(await rowCount()).toBe(before);
  });

  it('a device id that is not a UUID: 400', async () => {
    expectError(await send(t, agent.token, 'not-a-uuid', text()), 400, 'invalid_request');
  });

  it('an unknown device: 404', async () => {
    expectError(await send(t, agent.token, '01890000-0000-7000-8000-000000000001', text()), 404, 'not_found');
  });

  it('a query string on the send route: 400', async () => {
    expectError(await t.call('POST', `/devices/${deviceId}/messages?force=1`, agent.token, text()), 400, 'invalid_request');
  });
});

describe('wa_id', () => {
  it("is fresh for every message, in WhatsApp Web's form", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const m = await sendOk(t, agent.token, deviceId, text({ text: `n${i}` }));
      expect(m.wa_id).toMatch(WA_ID);
      ids.add(m.wa_id);
    }
    expect(ids.size).toBe(20);
  });
});
