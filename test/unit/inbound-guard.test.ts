import { describe, expect, it } from 'vitest';
import { cleanText, deepClean, guardInbound, isWaId } from '../../src/whatsapp/inbound-guard.js';
import type { InboundMessage } from '../../src/whatsapp/messages.js';

const NUL = '\u0000';
const HIGH = '\uD83D'; // the first half of 😀, alone
const LOW = '\uDE00'; // the second half, alone

/** A text with no lone surrogate: what PostgreSQL can store as UTF-8. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes(NUL);

const inbound = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  chatJid: '15550001111@s.whatsapp.net',
  waId: '3EB0C0FFEE0123456789AB',
  fromMe: false,
  senderJid: '15550001111@s.whatsapp.net',
  pushName: 'Bea',
  timestamp: '2026-01-01T00:00:00.000Z',
  content: { type: 'text', text: 'hello' },
  quotedWaId: null,
  targetWaId: null,
  offline: false,
  ...over,
});

describe('cleanText', () => {
  it.each([
    ['a NUL inside', `Bea${NUL}trice`, 'Beatrice'],
    ['only NULs', `${NUL}${NUL}`, ''],
    ['a lone high surrogate', `a${HIGH}b`, 'ab'],
    ['a lone low surrogate', `a${LOW}b`, 'ab'],
    ['halves in the wrong order', `${LOW}${HIGH}`, ''],
    ['a high surrogate at the end', `end${HIGH}`, 'end'],
  ])('removes %s', (_what, input, expected) => {
    expect(cleanText(input)).toBe(expected);
    expect(wellFormed(cleanText(input))).toBe(true);
  });

  it('keeps emoji (surrogate pairs), other scripts, newlines and tabs', () => {
    const text = 'Ça va? 😀👍🏽 こんにちは\n\tBEGIN:VCARD\r\nEND:VCARD';
    expect(cleanText(text)).toBe(text);
    expect(cleanText(`${HIGH}${LOW}`)).toBe('😀');
    expect(cleanText(`x${NUL}😀${HIGH}`)).toBe('x😀');
  });
});

describe('deepClean', () => {
  it('cleans every string of nested objects and arrays, keys included, and leaves other values alone', () => {
    const dirty = {
      name: `Eve${NUL}`,
      n: 1,
      flag: true,
      none: null,
      missing: undefined,
      list: [`a${NUL}`, [`b${HIGH}`], { deep: { deeper: [`c${LOW}`] } }],
      [`k${NUL}ey`]: 'v',
    };
    expect(deepClean(dirty)).toEqual({
      name: 'Eve',
      n: 1,
      flag: true,
      none: null,
      missing: undefined,
      list: ['a', ['b'], { deep: { deeper: ['c'] } }],
      key: 'v',
    });
    expect(dirty.name).toBe(`Eve${NUL}`); // the input is not changed
  });

  it('keeps buffers as they are (no peer text) and refuses a value nested without end', () => {
    const buffer = Buffer.from([0, 1, 2]);
    expect(deepClean({ buffer }).buffer).toBe(buffer);
    let nested: unknown = 'x';
    for (let i = 0; i < 40; i++) nested = [nested];
    expect(() => deepClean(nested)).toThrow(/deeper than/);
  });
});

describe('isWaId', () => {
  it.each([
    ['WhatsApp Web / Baileys', '3EB0C0FFEE0123456789AB'],
    ['Baileys generateMessageID', '3EB0' + 'A1'.repeat(18)],
    ['a phone', 'A1B2C3D4E5F60718293A4B5C6D7E8F90'],
    ['another client', 'BAE5F3C2A1D4E6B7'],
    ['128 characters', 'A'.repeat(128)],
  ])('accepts %s ids', (_what, id) => {
    expect(isWaId(id)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a NUL', `3EB0${NUL}ABC`],
    ['a space', '3EB0 ABC'],
    ['a newline', '3EB0ABC\n'],
    ['a lone surrogate', `3EB0${HIGH}`],
    ['an emoji', '3EB0😀'],
    ['non-ASCII', 'ÄBC'],
    ['over 128 characters', 'A'.repeat(129)],
    ['not a string', 42],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s', (_what, id) => {
    expect(isWaId(id)).toBe(false);
  });
});

describe('guardInbound', () => {
  it('cleans every string of the message a peer controls: push name, text, vCard, location, poll', () => {
    const cases: InboundMessage[] = [
      inbound({ pushName: `Eve${NUL}${HIGH}`, content: { type: 'text', text: `hi${NUL} 😀${LOW}` } }),
      inbound({ content: { type: 'contact', name: `Dora${NUL}`, vcard: `BEGIN:VCARD\nFN:D${NUL}ora\nEND:VCARD${HIGH}` } }),
      inbound({ content: { type: 'location', latitude: 1, longitude: 2, name: `Big${NUL} Ben`, address: `London${LOW}` } }),
      inbound({ content: { type: 'poll', name: `Q${NUL}?`, options: [`a${NUL}`, `b${HIGH}`], selectable_count: 1 } }),
      inbound({ content: { type: 'image', mimetype: `image/jpeg${NUL}`, caption: `cap${NUL}tion` } }),
    ];
    const cleaned = cases.map((m) => guardInbound(m).message!);
    expect(cleaned.map((m) => m.pushName)).toEqual(['Eve', 'Bea', 'Bea', 'Bea', 'Bea']);
    expect(cleaned.map((m) => m.content)).toEqual([
      { type: 'text', text: 'hi 😀' },
      { type: 'contact', name: 'Dora', vcard: 'BEGIN:VCARD\nFN:Dora\nEND:VCARD' },
      { type: 'location', latitude: 1, longitude: 2, name: 'Big Ben', address: 'London' },
      { type: 'poll', name: 'Q?', options: ['a', 'b'], selectable_count: 1 },
      { type: 'image', mimetype: 'image/jpeg', caption: 'caption' },
    ]);
    for (const m of cleaned) expect(JSON.stringify(m)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('keeps a clean message as it is, its ids included', () => {
    const m = inbound({ quotedWaId: '3EB0AAAA', content: { type: 'text', text: 'ok 👍' } });
    expect(guardInbound(m)).toEqual({ message: m, droppedQuotedWaId: null });
  });

  it('drops a quoted id that is no WhatsApp id and keeps the message (the id is never cleaned into another one)', () => {
    const quoted = `3EB0AAAA${NUL}`;
    const guarded = guardInbound(inbound({ quotedWaId: quoted, pushName: `Eve${NUL}` }));
    expect(guarded.message).toMatchObject({ quotedWaId: null, pushName: 'Eve', waId: '3EB0C0FFEE0123456789AB' });
    expect(guarded).toMatchObject({ droppedQuotedWaId: quoted });
  });

  it('rejects a message whose own id is no WhatsApp id', () => {
    expect(guardInbound(inbound({ waId: `3EB0${NUL}` }))).toEqual({ rejected: 'invalid_wa_id' });
    expect(guardInbound(inbound({ waId: 'A'.repeat(129) }))).toEqual({ rejected: 'invalid_wa_id' });
  });

  it('rejects a reaction, edit, delete or vote whose target id is no WhatsApp id: it has nothing to apply to', () => {
    const contents: InboundMessage['content'][] = [
      { type: 'reaction', emoji: '👍' },
      { type: 'edit', text: 'new' },
      { type: 'delete' },
      { type: 'poll_vote', options: ['a'] },
    ];
    for (const content of contents) {
      expect(guardInbound(inbound({ content, targetWaId: `3EB0${NUL}` })), content.type).toEqual({ rejected: 'invalid_target_wa_id' });
      expect(guardInbound(inbound({ content, targetWaId: '3EB0AAAA' })).message?.targetWaId, content.type).toBe('3EB0AAAA');
    }
  });
});
