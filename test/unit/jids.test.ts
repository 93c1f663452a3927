import { describe, expect, it } from 'vitest';
import { PN_SERVER, normalizeChatJid, phoneOf } from '../../src/messages/jids.js';
import { errorOf } from './app-error.js';

const invalid = (field = 'to') => ({
  statusCode: 400,
  code: 'invalid_recipient',
  message: `${field} must be a phone number with the country code (such as 5511987654321; +, spaces, dashes, dots and parentheses are ignored) or a JID such as 15550001111@s.whatsapp.net`,
});
const badGroup = (field = 'to') => ({
  statusCode: 400,
  code: 'invalid_recipient',
  message: `${field} is no group JID: a group is digits@g.us, such as 120363012345678901@g.us`,
});

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
    ['a number written with +, spaces and a dash', '+55 11 98765-4321', '5511987654321@s.whatsapp.net'],
    ['a number with the area code in parentheses', '+55 (11) 98765-4321', '5511987654321@s.whatsapp.net'],
    ['dashes', '1555-000-1111', '15550001111@s.whatsapp.net'],
    ['dots', '1.555.000.1111', '15550001111@s.whatsapp.net'],
    ['spaces inside', '1555 000 1111', '15550001111@s.whatsapp.net'],
    ['a tab inside', '1555\t0001111', '15550001111@s.whatsapp.net'],
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
    ['punctuation only', '+ () - .'],
    ['5 digits once the punctuation is dropped', '+1 (23) 4-5'],
    ['16 digits once the punctuation is dropped', '+1 234 567 890 123 456'],
    ['a leading zero after the +', '+0 555 000 1111'],
    ['a slash', '1555/0001111'],
    ['letters among the digits', '+55 11 9876S-4321'],
    ['a + in a JID', '+15550001111@s.whatsapp.net'],
    ['a dash in a JID', '1555-0001111@s.whatsapp.net'],
    ['spaces in a LID', '123 456 789 012 345@lid'],
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

  it.each([
    ['a group of today', '120363000000000000@g.us', '120363000000000000@g.us'],
    ['an older group (creator-time)', '15550001111-1600000000@g.us', '15550001111-1600000000@g.us'],
    ['a group with spaces around', ' 120363025246125244@g.us\n', '120363025246125244@g.us'],
  ])('accepts %s', (_what, input, expected) => {
    expect(normalizeChatJid(input)).toBe(expected);
  });

  it.each([' anything@g.us ', '1@g.us', '0120363000000000000@g.us', '120363-@g.us', '120363:1@g.us', '12036300000000000000000000000000000@g.us'])(
    'refuses the bad group %j: invalid_recipient',
    (input) => {
      expect(errorOf(() => normalizeChatJid(input))).toEqual(badGroup());
    },
  );

  it('names the field it checked', () => {
    expect(errorOf(() => normalizeChatJid('nope', 'numbers[2]'))).toEqual(invalid('numbers[2]'));
    expect(errorOf(() => normalizeChatJid('1@g.us', 'chat'))).toEqual(badGroup('chat'));
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
