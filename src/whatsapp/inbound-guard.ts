import type { InboundMessage } from './messages.js';

/**
 * What a peer sends is untrusted: every string inside the encrypted payload (texts, names,
 * vCards, quoted and target ids) is theirs to choose. This is where a received message is
 * made safe to store before WUTS uses it: PostgreSQL text and JSON cannot hold NUL, and a
 * lone UTF-16 surrogate is no valid UTF-8.
 */

/** NUL, and any surrogate not part of a pair (with the `u` flag a pair is one code point). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must go
const UNSTORABLE = /\u0000|\p{Cs}/gu;

/** The text without the characters PostgreSQL cannot store; emoji (surrogate pairs) are kept. */
export function cleanText(text: string): string {
  return text.replace(UNSTORABLE, '');
}

/** InboundMessage is a few levels deep; anything deeper is no message WUTS built. */
const MAX_DEPTH = 16;

/** cleanText over every string of a value: plain objects and arrays, recursively (keys included). */
export function deepClean<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) throw new Error(`deepClean: value nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item: unknown) => deepClean(item, depth + 1)) as T;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a Buffer, a Date: no peer text
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k), deepClean(v, depth + 1)])) as T;
}

/**
 * WhatsApp message ids are short printable ASCII: `3EB0` and upper-case hex from WhatsApp Web
 * and Baileys, 32 hex digits from phones, and other letters and digits from other clients.
 * No space, no control character, at most 128 characters.
 */
const WA_ID = /^[\x21-\x7E]{1,128}$/;

export function isWaId(id: unknown): id is string {
  return typeof id === 'string' && WA_ID.test(id);
}

export type GuardedInbound =
  { message: InboundMessage; droppedQuotedWaId: string | null } | { rejected: 'invalid_wa_id' | 'invalid_target_wa_id'; message?: undefined };

/**
 * A received message made safe to store, or why it cannot be. Ids are checked, never
 * cleaned: an id with a character removed could name another message. A quoted id that is no
 * WhatsApp id is dropped (the reply is kept, as a message that quotes nothing); a reaction,
 * edit, delete or vote exists only through its target, so an invalid target id rejects it.
 */
export function guardInbound(m: InboundMessage): GuardedInbound {
  if (!isWaId(m.waId)) return { rejected: 'invalid_wa_id' };
  if (m.targetWaId !== null && !isWaId(m.targetWaId)) return { rejected: 'invalid_target_wa_id' };
  const quotedWaId = m.quotedWaId !== null && isWaId(m.quotedWaId) ? m.quotedWaId : null;
  const { waId, targetWaId, quotedWaId: received, ...peerText } = m;
  return {
    message: { ...deepClean(peerText), waId, targetWaId, quotedWaId },
    droppedQuotedWaId: received !== quotedWaId ? received : null,
  };
}
