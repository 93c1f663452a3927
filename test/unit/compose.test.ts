import { describe, expect, it } from 'vitest';
import { EDIT_WINDOW_MS, checkFields, checkTarget, contentOf, newWaId, type SendBody } from '../../src/messages/compose.js';
import { SendMessageBody } from '../../src/messages/schemas.js';
import type { MessageRow } from '../../src/messages/view.js';
import { errorOf } from './app-error.js';

const bad = (code: string, message: string) => ({ statusCode: 400, code, message });

type Field = Exclude<keyof SendBody, 'type'>;
type SendType = SendBody['type'];

const ID = '0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0b';
/** A valid value for every field of the body. */
const SAMPLE: Required<Pick<SendBody, Field>> = {
  to: '15550001111',
  text: 'hello',
  link_preview: true,
  reply_to: ID,
  message_id: ID,
  emoji: '👍',
  location: { latitude: 38.7, longitude: -9.1 },
  contact: { name: 'Ann', phone: '15550002222' },
  poll: { name: 'Lunch?', options: ['yes', 'no'] },
  ttl_seconds: 60,
  media: { id: ID },
  mime_type: 'image/jpeg',
  filename: 'invoice.pdf',
  caption: 'look',
  view_once: true,
  mentions: ['15550003333'],
  mention_all: true,
};
const ALL_FIELDS = Object.keys(SAMPLE) as Field[];

/** Each type's fields, as the API reference describes them. */
const FIELDS: Record<SendType, { required: Field[]; optional: Field[] }> = {
  text: { required: ['to', 'text'], optional: ['link_preview', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  location: { required: ['to', 'location'], optional: ['reply_to', 'ttl_seconds'] },
  contact: { required: ['to', 'contact'], optional: ['reply_to', 'ttl_seconds'] },
  poll: { required: ['to', 'poll'], optional: ['reply_to', 'ttl_seconds'] },
  reaction: { required: ['message_id', 'emoji'], optional: ['to', 'ttl_seconds'] },
  edit: { required: ['message_id', 'text'], optional: ['to', 'ttl_seconds'] },
  delete: { required: ['message_id'], optional: ['to', 'ttl_seconds'] },
  image: { required: ['to', 'media'], optional: ['mime_type', 'caption', 'view_once', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  video: { required: ['to', 'media'], optional: ['mime_type', 'caption', 'view_once', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  audio: { required: ['to', 'media'], optional: ['mime_type', 'reply_to', 'ttl_seconds'] },
  voice: { required: ['to', 'media'], optional: ['mime_type', 'view_once', 'reply_to', 'ttl_seconds'] },
  document: { required: ['to', 'media'], optional: ['mime_type', 'filename', 'caption', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  sticker: { required: ['to', 'media'], optional: ['mime_type', 'reply_to', 'ttl_seconds'] },
};
const TYPES = Object.keys(FIELDS) as SendType[];

const bodyWith = (type: SendType, fields: readonly Field[]): SendBody => {
  const body: Record<string, unknown> = { type };
  for (const f of fields) body[f] = SAMPLE[f];
  return body as SendBody;
};

describe('checkFields', () => {
  it('knows every field of the send body schema', () => {
    expect(
      Object.keys(SendMessageBody.properties)
        .filter((k) => k !== 'type')
        .sort(),
    ).toEqual([...ALL_FIELDS].sort());
  });

  it.each(TYPES)('a %s message with its required fields only, or with every optional one too, passes', (type) => {
    const { required, optional } = FIELDS[type];
    expect(errorOf(() => checkFields(bodyWith(type, required)))).toBe('no error');
    expect(errorOf(() => checkFields(bodyWith(type, [...required, ...optional])))).toBe('no error');
    for (const extra of optional) {
      // a media message mentions in its caption
      const caption: Field[] = (extra === 'mentions' || extra === 'mention_all') && type !== 'text' ? ['caption'] : [];
      expect(
        errorOf(() => checkFields(bodyWith(type, [...required, extra, ...caption]))),
        extra,
      ).toBe('no error');
    }
  });

  it.each(['image', 'video', 'document'] as const)('a %s with mentions but no caption: missing_field', (type) => {
    for (const field of ['mentions', 'mention_all'] as const)
      expect(errorOf(() => checkFields(bodyWith(type, [...FIELDS[type].required, field])))).toEqual(
        bad('missing_field', 'mentions are made in a text or a caption: add `caption`'),
      );
  });

  const missing = TYPES.flatMap((type) => FIELDS[type].required.map((field) => ({ type, field })));
  it.each(missing.map((r) => [`a ${r.type} without ${r.field}: missing_field`, r] as const))('%s', (_name, { type, field }) => {
    const { required, optional } = FIELDS[type];
    const fields = [...required, ...optional].filter((f) => f !== field);
    expect(errorOf(() => checkFields(bodyWith(type, fields)))).toEqual(bad('missing_field', `a ${type} message needs \`${field}\``));
  });

  const foreign = TYPES.flatMap((type) =>
    ALL_FIELDS.filter((f) => !FIELDS[type].required.includes(f) && !FIELDS[type].optional.includes(f)).map((field) => ({ type, field })),
  );
  it('refuses 148 foreign fields in all', () => {
    // 17 fields less each type's own: text 10, location 13, contact 13, poll 13, reaction 13, edit 13,
    // delete 14, image 8, video 8, audio 12, voice 11, document 8, sticker 12
    expect(foreign).toHaveLength(148);
    // the media fields belong to media types only
    // prettier-ignore
    expect(foreign.filter((r) => r.type === 'text').map((r) => r.field)).toEqual([
      'message_id', 'emoji', 'location', 'contact', 'poll', 'media', 'mime_type', 'filename', 'caption', 'view_once',
    ]);
    expect(foreign.filter((r) => r.type === 'audio').map((r) => r.field)).toEqual([
      'text',
      'link_preview',
      'message_id',
      'emoji',
      'location',
      'contact',
      'poll',
      'filename',
      'caption',
      'view_once',
      'mentions',
      'mention_all',
    ]);
    expect(foreign.filter((r) => r.type === 'sticker').map((r) => r.field)).toContain('caption');
    expect(foreign.filter((r) => r.type === 'voice').map((r) => r.field)).not.toContain('view_once');
  });
  it.each(foreign.map((r) => [`a ${r.type} with ${r.field}: field_not_allowed`, r] as const))('%s', (_name, { type, field }) => {
    expect(errorOf(() => checkFields(bodyWith(type, [...FIELDS[type].required, field])))).toEqual(
      bad('field_not_allowed', `\`${field}\` is not a field of a ${type} message`),
    );
  });

  it('reports a missing field before a foreign one', () => {
    expect(errorOf(() => checkFields({ type: 'text', to: '15550001111', emoji: '👍' }))).toEqual(bad('missing_field', 'a text message needs `text`'));
  });

  it('counts a field given as undefined as missing', () => {
    expect(errorOf(() => checkFields({ type: 'delete', message_id: undefined }))).toEqual(bad('missing_field', 'a delete message needs `message_id`'));
  });
});

describe('contentOf', () => {
  it('text: the text as given, link_preview only when true', () => {
    expect(contentOf({ type: 'text', to: '1', text: '  hi there ' })).toEqual({ type: 'text', text: '  hi there ' });
    expect(contentOf({ type: 'text', to: '1', text: 'hi', link_preview: true })).toEqual({ type: 'text', text: 'hi', link_preview: true });
    expect(contentOf({ type: 'text', to: '1', text: 'hi', link_preview: false })).toEqual({ type: 'text', text: 'hi' });
  });

  it.each([' ', '\n\t ', '\u00a0'])('text: blank %j is invalid_text', (text) => {
    expect(errorOf(() => contentOf({ type: 'text', to: '1', text }))).toEqual(bad('invalid_text', 'text must not be blank'));
    expect(errorOf(() => contentOf({ type: 'edit', message_id: ID, text }))).toEqual(bad('invalid_text', 'text must not be blank'));
  });

  it('location: coordinates, with name and address only when non-empty', () => {
    expect(contentOf({ type: 'location', to: '1', location: { latitude: 1.5, longitude: -2.25 } })).toEqual({
      type: 'location',
      latitude: 1.5,
      longitude: -2.25,
    });
    expect(contentOf({ type: 'location', to: '1', location: { latitude: 0, longitude: 0, name: 'Office', address: '1 Main St' } })).toEqual({
      type: 'location',
      latitude: 0,
      longitude: 0,
      name: 'Office',
      address: '1 Main St',
    });
    expect(contentOf({ type: 'location', to: '1', location: { latitude: 0, longitude: 0, name: '', address: '' } })).toEqual({
      type: 'location',
      latitude: 0,
      longitude: 0,
    });
  });

  it('contact from a phone number: a vCard 3.0 WUTS writes, the name kept as given', () => {
    expect(contentOf({ type: 'contact', to: '1', contact: { name: 'Ann Lee', phone: '15550002222' } })).toEqual({
      type: 'contact',
      name: 'Ann Lee',
      vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\nTEL;type=CELL;type=VOICE;waid=15550002222:+15550002222\nEND:VCARD',
    });
    // Line breaks and semicolons cannot break out of the FN line.
    expect(contentOf({ type: 'contact', to: '1', contact: { name: 'A;B\r\nTEL:1', phone: '15550002222' } })).toEqual({
      type: 'contact',
      name: 'A;B\r\nTEL:1',
      vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:A B  TEL:1\nTEL;type=CELL;type=VOICE;waid=15550002222:+15550002222\nEND:VCARD',
    });
  });

  it('contact from a vCard: kept, trimmed; LF or CRLF lines; any case', () => {
    const vcard = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo\r\nEND:VCARD';
    expect(contentOf({ type: 'contact', to: '1', contact: { name: 'Bo', vcard: `\n ${vcard} \n` } })).toEqual({ type: 'contact', name: 'Bo', vcard });
    expect(contentOf({ type: 'contact', to: '1', contact: { name: 'Bo', vcard: 'begin:vcard\nFN:Bo\nend:vcard' } })).toEqual({
      type: 'contact',
      name: 'Bo',
      vcard: 'begin:vcard\nFN:Bo\nend:vcard',
    });
  });

  it.each([
    ['neither phone nor vcard', { name: 'X' }, 'contact needs exactly one of `phone` or `vcard`'],
    ['both phone and vcard', { name: 'X', phone: '15550002222', vcard: 'BEGIN:VCARD\nEND:VCARD' }, 'contact needs exactly one of `phone` or `vcard`'],
    ['a vcard without BEGIN', { name: 'X', vcard: 'FN:X\nEND:VCARD' }, 'contact.vcard must be a vCard: BEGIN:VCARD ... END:VCARD'],
    ['a vcard without END', { name: 'X', vcard: 'BEGIN:VCARD\nFN:X' }, 'contact.vcard must be a vCard: BEGIN:VCARD ... END:VCARD'],
    ['a vcard on one line', { name: 'X', vcard: 'BEGIN:VCARD END:VCARD' }, 'contact.vcard must be a vCard: BEGIN:VCARD ... END:VCARD'],
  ] as const)('contact with %s is invalid_contact', (_what, contact, message) => {
    expect(errorOf(() => contentOf({ type: 'contact', to: '1', contact }))).toEqual(bad('invalid_contact', message));
  });

  it('poll: options trimmed, one choice by default, a fresh 32-byte vote secret each time', () => {
    const a = contentOf({ type: 'poll', to: '1', poll: { name: 'Lunch?', options: [' yes', 'no ', 'maybe'] } });
    expect(a).toEqual({ type: 'poll', name: 'Lunch?', options: ['yes', 'no', 'maybe'], selectable_count: 1, secret: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const b = contentOf({ type: 'poll', to: '1', poll: { name: 'Lunch?', options: ['yes', 'no', 'maybe'] } });
    expect(b.type === 'poll' && a.type === 'poll' && b.secret !== a.secret).toBe(true);
  });

  it.each([
    [0, 0],
    [2, 2],
    [3, 3],
  ])('poll: selectable_count %i is kept', (selectable, expected) => {
    expect(contentOf({ type: 'poll', to: '1', poll: { name: 'Q', options: ['a', 'b', 'c'], selectable_count: selectable } })).toMatchObject({
      selectable_count: expected,
    });
  });

  it.each([
    ['a blank option', { name: 'Q', options: ['a', '  '] }, 'poll options must not be blank'],
    ['options equal after trimming', { name: 'Q', options: ['a', ' a'] }, 'poll options must be distinct'],
    ['equal options', { name: 'Q', options: ['a', 'b', 'a'] }, 'poll options must be distinct'],
    ['selectable_count above the options', { name: 'Q', options: ['a', 'b'], selectable_count: 3 }, 'poll.selectable_count is more than the number of options'],
  ] as const)('poll with %s is invalid_poll', (_what, poll, message) => {
    expect(errorOf(() => contentOf({ type: 'poll', to: '1', poll: { ...poll, options: [...poll.options] } }))).toEqual(bad('invalid_poll', message));
  });

  it.each([
    ['empty (removes the reaction)', ''],
    ['a pictograph', '👍'],
    ['a pictograph with a skin tone', '👍🏽'],
    ['a heart with its variation selector', '❤️'],
    ['a ZWJ family', '👨‍👩‍👧'],
    ['a flag', '🇵🇹'],
    ['a keycap', '1️⃣'],
  ])('reaction: %s is one emoji', (_what, emoji) => {
    expect(contentOf({ type: 'reaction', message_id: ID, emoji })).toEqual({ type: 'reaction', emoji });
  });

  it.each([
    ['a letter', 'a'],
    ['a digit alone', '1'],
    ['a hash alone', '#'],
    ['two emoji', '👍👍'],
    ['an emoji and a space', '👍 '],
    ['a word', 'ok'],
    ['a ZWJ alone', '\u200d'],
  ])('reaction: %s is invalid_emoji', (_what, emoji) => {
    expect(errorOf(() => contentOf({ type: 'reaction', message_id: ID, emoji }))).toEqual(
      bad('invalid_emoji', 'emoji must be one emoji (or empty to remove the reaction)'),
    );
  });

  it('edit: the new text; delete: nothing else', () => {
    expect(contentOf({ type: 'edit', message_id: ID, text: ' new ' })).toEqual({ type: 'edit', text: ' new ' });
    expect(contentOf({ type: 'delete', message_id: ID })).toEqual({ type: 'delete' });
  });
});

describe('newWaId', () => {
  it('looks like a WhatsApp Web id: 3EB0 and 18 upper-case hex digits, different every time', () => {
    const ids = Array.from({ length: 1000 }, () => newWaId());
    for (const id of ids) expect(id).toMatch(/^3EB0[0-9A-F]{18}$/);
    expect(new Set(ids).size).toBe(1000);
  });
});

describe('checkTarget', () => {
  const NOW = Date.parse('2026-06-15T12:00:00.000Z');
  const CHAT = '15550001111@s.whatsapp.net';
  const target = (overrides: Partial<MessageRow> = {}): MessageRow => ({
    id: ID,
    tenant_id: 'tenant-1',
    device_id: 'device-1',
    chat_jid: CHAT,
    wa_id: '3EB0AAAAAAAAAAAAAAAAAA',
    from_me: true,
    sender_jid: null,
    type: 'text',
    content_json: '{"type":"text","text":"hi"}',
    quoted_wa_id: null,
    quoted_message_id: null,
    target_wa_id: null,
    target_message_id: null,
    status: 'sent',
    reason: null,
    attempts: 1,
    next_attempt_at: null,
    expires_at: null,
    created_by: null,
    wa_timestamp: null,
    edited_at: null,
    deleted_at: null,
    created_at: new Date(NOW - 60_000).toISOString(),
    updated_at: new Date(NOW - 60_000).toISOString(),
    ...overrides,
  });
  const reaction: SendBody = { type: 'reaction', message_id: ID, emoji: '👍' };
  const edit: SendBody = { type: 'edit', message_id: ID, text: 'fixed' };
  const del: SendBody = { type: 'delete', message_id: ID };
  const check = (body: SendBody, row: MessageRow, now = NOW) => errorOf(() => checkTarget(body, row, now));

  it('the edit window is 15 minutes', () => {
    expect(EDIT_WINDOW_MS).toBe(900_000);
  });

  it.each([
    ['reaction', reaction],
    ['edit', edit],
    ['delete', del],
  ] as const)('a %s of a deleted message is message_deleted, before any other check', (_t, body) => {
    const row = target({ deleted_at: new Date(NOW).toISOString(), from_me: false, type: 'reaction', chat_jid: '15559999999@s.whatsapp.net' });
    expect(check({ ...body, to: '15550001111' }, row)).toEqual(bad('message_deleted', 'that message was deleted'));
  });

  it.each([
    ['the same number', '15550001111', 'no error'],
    ['the number with +', '+15550001111', 'no error'],
    ['the number as people write it', '+1 (555) 000-1111', 'no error'],
    ['the chat JID', CHAT, 'no error'],
    ['the JID with a device part', '15550001111:2@s.whatsapp.net', 'no error'],
    ['another number', '15550002222', bad('chat_mismatch', '`to` is not the chat of message_id')],
    ['the LID of a chat', '15550001111@lid', bad('chat_mismatch', '`to` is not the chat of message_id')],
  ] as const)('`to` naming %s', (_what, to, expected) => {
    for (const body of [reaction, edit, del]) expect(check({ ...body, to }, target()), body.type).toEqual(expected);
  });

  it('`to` that is no recipient at all, or no valid group, is invalid_recipient; another group is chat_mismatch', () => {
    expect(check({ ...reaction, to: 'not a number' }, target())).toEqual(
      bad(
        'invalid_recipient',
        'to must be a phone number with the country code (such as 5511987654321; +, spaces, dashes, dots and parentheses are ignored) or a JID such as 15550001111@s.whatsapp.net',
      ),
    );
    expect(check({ ...del, to: 'abc@g.us' }, target())).toEqual(
      bad('invalid_recipient', 'to is no group JID: a group is digits@g.us, such as 120363012345678901@g.us'),
    );
    expect(check({ ...del, to: '120363000000000001@g.us' }, target())).toEqual(bad('chat_mismatch', '`to` is not the chat of message_id'));
  });

  const targetTypes = ['reaction', 'edit', 'delete', 'poll_vote'] as const;
  it.each(targetTypes.flatMap((t) => [reaction, edit, del].map((body) => [t, body.type, body] as const)))(
    'a %s cannot be the target of a %s: invalid_target',
    (type, bodyType, body) => {
      expect(check(body, target({ type }))).toEqual(bad('invalid_target', `a ${type} cannot be the target of a ${bodyType}`));
    },
  );

  it.each(['text', 'location', 'contact', 'poll', 'image', 'video', 'audio', 'document', 'sticker', 'unsupported'])(
    'a reaction may target a %s, sent or received, of any age',
    (type) => {
      expect(check(reaction, target({ type, from_me: true }))).toBe('no error');
      expect(check(reaction, target({ type, from_me: false, created_at: '2020-01-01T00:00:00.000Z' }))).toBe('no error');
    },
  );

  it('only messages this device sent can be edited or deleted', () => {
    expect(check(edit, target({ from_me: false }))).toEqual(bad('not_editable', 'only messages this device sent can be edited'));
    expect(check(del, target({ from_me: false }))).toEqual(bad('not_deletable', 'only messages this device sent can be deleted'));
  });

  it.each(['location', 'contact', 'poll', 'image', 'document', 'unsupported'])('a %s of this device cannot be edited, but can be deleted', (type) => {
    expect(check(edit, target({ type }))).toEqual(bad('not_editable', 'only text messages can be edited'));
    expect(check(del, target({ type }))).toBe('no error');
  });

  it.each([
    ['just sent', 0, 'no error'],
    ['14:59 ago', 899_000, 'no error'],
    ['exactly 15 minutes ago', 900_000, 'no error'],
    ['15 minutes and 1 ms ago', 900_001, bad('edit_window_passed', 'WhatsApp allows edits within 15 minutes of sending')],
    ['a day ago', 86_400_000, bad('edit_window_passed', 'WhatsApp allows edits within 15 minutes of sending')],
  ] as const)('an edit of a text sent %s', (_when, age, expected) => {
    expect(check(edit, target({ created_at: new Date(NOW - age).toISOString() }))).toEqual(expected);
  });

  it('a delete has no time window', () => {
    expect(check(del, target({ created_at: '2020-01-01T00:00:00.000Z' }))).toBe('no error');
  });
});
