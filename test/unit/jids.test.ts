import { describe, expect, it } from 'vitest';
import { PN_SERVER, normalizeChatJid, phoneOf } from '../../src/messages/jids.js';
import { errorOf } from './app-error.js';

const invalid = (field = 'to') => ({
  statusCode: 400,
  code: 'invalid_recipient',
  message: `${field} must be a phone number in digits (country code first) or a JID such as 15550001111@s.whatsapp.net`,
});
const group = (field = 'to') => ({ statusCode: 400, code: 'unsupported_recipient', message: `${field}: groups are not supported yet` });

describe('normalizeChatJid', () => {
  it('stores phone-number chats on s.whatsapp.net', () => {
    expect(PN_SERVER).toBe('s.whatsapp.net');
  });

  it.each([
    ['digits', '15550001111', '15550001111@s.whatsapp.net'],
    ['digits with a leading +', '+15550001111', '15550001111@s.whatsapp.net'],
    ['digits with spaces around', '  15550001111\n', '15550001111@s.whatsapp.net'],
    ['6 digits (the shortest)', '123456', '123456@s.whatsapp.net'],
    ['15 digits (the longest number)', '123456789012345', '123456789012345@s.whatsapp.net'],
    ['a phone JID', '15550001111@s.whatsapp.net', '15550001111@s.whatsapp.net'],
    ['a phone JID with a device part', '15550001111:12@s.whatsapp.net', '15550001111@s.whatsapp.net'],
    ['a phone JID with device 0', '15550001111:0@s.whatsapp.net', '15550001111@s.whatsapp.net'],
    ['a LID', '123456789012345@lid', '123456789012345@lid'],
    ['a LID of 20 digits', '12345678901234567890@lid', '12345678901234567890@lid'],
    ['a LID with a device part', '123456789012345:3@lid', '123456789012345@lid'],
  ])('accepts %s', (_what, input, expected) => {
    expect(normalizeChatJid(input)).toBe(expected);
  });

  it.each([
    ['an empty string', ''],
    ['5 digits', '12345'],
    ['16 digits without a server', '1234567890123456'],
    ['a leading zero', '015550001111'],
    ['dashes', '1555-000-1111'],
    ['spaces inside', '1555 000 1111'],
    ['two plus signs', '++15550001111'],
    ['a + in a JID', '+15550001111@s.whatsapp.net'],
    ['a 4-digit device part', '15550001111:1234@s.whatsapp.net'],
    ['a LID of 21 digits', '123456789012345678901@lid'],
    ['a JID of 5 digits', '12345@s.whatsapp.net'],
    ['the old c.us server', '15550001111@c.us'],
    ['a broadcast list', '1234567890@broadcast'],
    ['a newsletter', '1234567890@newsletter'],
    ['letters', 'alice'],
  ])('refuses %s: invalid_recipient', (_what, input) => {
    expect(errorOf(() => normalizeChatJid(input))).toEqual(invalid());
  });

  it.each(['120363000000000000@g.us', '15550001111-1600000000@g.us', ' anything@g.us '])('refuses the group %j: unsupported_recipient', (input) => {
    expect(errorOf(() => normalizeChatJid(input))).toEqual(group());
  });

  it('names the field it checked', () => {
    expect(errorOf(() => normalizeChatJid('nope', 'numbers[2]'))).toEqual(invalid('numbers[2]'));
    expect(errorOf(() => normalizeChatJid('1@g.us', 'chat'))).toEqual(group('chat'));
  });
});

describe('phoneOf', () => {
  it.each([
    ['15550001111@s.whatsapp.net', '15550001111'],
    ['123456@s.whatsapp.net', '123456'],
    ['123456789012345@lid', null],
    ['120363000000000000@g.us', null],
    ['15550001111@c.us', null],
  ])('%s → %s', (jid, expected) => {
    expect(phoneOf(jid)).toBe(expected);
  });
});
