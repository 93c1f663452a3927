import type { WAMessage } from '@whiskeysockets/baileys';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toKey, toSendContent } from '../../src/whatsapp/baileys/content.js';
import { contactPairs, pairOf } from '../../src/whatsapp/baileys/identities.js';
import { chatJidOf, toInbound } from '../../src/whatsapp/baileys/inbound.js';
import { ackRefusal } from '../../src/whatsapp/baileys/send-errors.js';

// The pure parts of group messages and identities in the Baileys provider: which chat a key
// belongs to, LID/phone pairs, mentions both ways, a group member's key, and ack refusals.

const GROUP = '120363000000000001@g.us';
const PN = '15550001111@s.whatsapp.net';
const LID = '123456789012345@lid';

describe('chatJidOf', () => {
  it('a group is its own chat; a one-to-one chat is the phone number when WhatsApp told it', () => {
    expect(chatJidOf({ remoteJid: GROUP })).toBe(GROUP);
    expect(chatJidOf({ remoteJid: LID, remoteJidAlt: PN })).toBe(PN);
    expect(chatJidOf({ remoteJid: LID })).toBe(LID);
    expect(chatJidOf({ remoteJid: '15550001111:3@s.whatsapp.net' })).toBe(PN);
    expect(chatJidOf({ remoteJid: 'status@broadcast' })).toBeNull();
    expect(chatJidOf({ remoteJid: '1234@newsletter' })).toBeNull();
  });
});

describe('identity pairs', () => {
  it('a LID and a phone-number JID make a pair in either order, devices dropped; anything else none', () => {
    expect(pairOf(LID, PN)).toEqual({ lid: LID, phone: '15550001111' });
    expect(pairOf('15550001111:2@s.whatsapp.net', '123456789012345:2@lid')).toEqual({ lid: LID, phone: '15550001111' });
    expect(pairOf(LID, LID)).toBeNull();
    expect(pairOf(PN, PN)).toBeNull();
    expect(pairOf(GROUP, PN)).toBeNull();
    expect(pairOf(LID, undefined)).toBeNull();
  });

  it('contacts name their pair by id, lid and phoneNumber', () => {
    expect(contactPairs([{ id: LID, phoneNumber: PN }, { id: PN, lid: LID }, { id: PN }, { id: LID }])).toEqual([
      { lid: LID, phone: '15550001111' },
      { lid: LID, phone: '15550001111' },
    ]);
  });
});

describe('mentions', () => {
  const party = { jid: PN, phone: '15550001111', lid: LID };
  it('a text and a caption carry mentions and @all to Baileys', () => {
    expect(
      toSendContent({ chatJid: GROUP, waId: 'X', content: { type: 'text', text: 'hi @15550001111', mentions: [party], mention_all: true } }),
    ).toMatchObject({
      text: 'hi @15550001111',
      mentions: [PN],
      mentionAll: true,
    });
    const image = toSendContent(
      { chatJid: GROUP, waId: 'X', content: { type: 'image', mimetype: 'image/jpeg', caption: 'look', mentions: [party] } },
      Readable.from([]),
    );
    expect(image).toMatchObject({ caption: 'look', mentions: [PN] });
    expect(toSendContent({ chatJid: GROUP, waId: 'X', content: { type: 'text', text: 'plain' } })).not.toHaveProperty('mentions');
  });

  it('a received text keeps its mentions in the addressing the sender used, and @all', async () => {
    const msg: WAMessage = {
      key: { remoteJid: GROUP, id: 'ABC', fromMe: false, participant: LID },
      messageTimestamp: 1_700_000_000,
      message: { extendedTextMessage: { text: 'hi all', contextInfo: { mentionedJid: [LID, PN, GROUP], nonJidMentions: 1 } } },
    };
    const sender = { jid: PN, phone: '15550001111', lid: LID };
    const got = await toInbound(msg, { pn: null, lid: null }, { chatJid: GROUP, chatLid: null, sender, chatName: 'Team' }, undefined, false);
    expect(got).toMatchObject({
      chatJid: GROUP,
      senderJid: PN,
      senderLid: LID,
      chatName: 'Team',
      content: {
        type: 'text',
        text: 'hi all',
        mentions: [
          { jid: LID, phone: null, lid: LID },
          { jid: PN, phone: '15550001111', lid: null },
        ],
        mention_all: true,
      },
    });
  });
});

describe("a group member's message", () => {
  it('is keyed with its sender; one-to-one and own messages are not', () => {
    expect(toKey({ chatJid: GROUP, waId: 'A', fromMe: false, senderJid: LID })).toEqual({ remoteJid: GROUP, id: 'A', fromMe: false, participant: LID });
    expect(toKey({ chatJid: GROUP, waId: 'A', fromMe: true, senderJid: null })).toEqual({ remoteJid: GROUP, id: 'A', fromMe: true });
    expect(toKey({ chatJid: PN, waId: 'A', fromMe: false, senderJid: PN })).toEqual({ remoteJid: PN, id: 'A', fromMe: false });
  });
});

describe('ack refusals', () => {
  it('a group names its rules; the same code to a user keeps its meaning; unknown codes are retried', () => {
    expect(ackRefusal('403', true)).toEqual({
      reason: 'WhatsApp refused the message: only admins can send messages to this group, or this number is not a participant (403)',
      permanent: true,
    });
    expect(ackRefusal('404', true)).toEqual({ reason: 'WhatsApp refused the message: the group does not exist (404)', permanent: true });
    expect(ackRefusal('404', false)).toEqual({ reason: 'not on WhatsApp: the recipient does not exist (404)', permanent: true });
    expect(ackRefusal('403', false)).toEqual({ reason: 'WhatsApp refused the message (403)', permanent: false });
    expect(ackRefusal('500', true)).toEqual({ reason: 'WhatsApp refused the message (500)', permanent: false });
  });
});
