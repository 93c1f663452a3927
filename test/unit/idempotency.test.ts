import { describe, expect, it } from 'vitest';
import { readIdempotencyKey, requestHash } from '../../src/messages/idempotency.js';
import { errorOf } from './app-error.js';

const INVALID = { statusCode: 400, code: 'invalid_idempotency_key', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' };

describe('readIdempotencyKey', () => {
  it.each([
    ['no header', undefined, undefined],
    ['a key', 'order-42', 'order-42'],
    ['a UUID', '0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0b', '0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0b'],
    ['every visible ASCII character', '!~{}"\'`#$%&()*+,-./:;<=>?@[\\]^_|', '!~{}"\'`#$%&()*+,-./:;<=>?@[\\]^_|'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
    ['the first of repeated headers', ['first', 'second'], 'first'],
  ] as const)('%s', (_what, header, expected) => {
    expect(readIdempotencyKey(typeof header === 'object' ? [...header] : header)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'order 42'],
    ['a tab', 'order\t42'],
    ['non-ASCII', 'pedido-nº42'],
    ['a control character', 'a\u0000b'],
    ['an empty list', []],
  ] as const)('refuses %s', (_what, header) => {
    expect(errorOf(() => readIdempotencyKey(typeof header === 'object' ? [...header] : header))).toEqual(INVALID);
  });
});

describe('requestHash', () => {
  const sha256 = /^[0-9a-f]{64}$/;

  it('is the same for the same route and the same body, whatever the key order', () => {
    const a = requestHash('POST /devices/1/messages', { type: 'text', to: '1555', text: 'hi', poll: { name: 'q', options: ['a', 'b'] } });
    const b = requestHash('POST /devices/1/messages', { poll: { options: ['a', 'b'], name: 'q' }, text: 'hi', to: '1555', type: 'text' });
    expect(a).toMatch(sha256);
    expect(b).toBe(a);
  });

  it('ignores fields set to undefined, as JSON would', () => {
    expect(requestHash('r', { a: 1, b: undefined })).toBe(requestHash('r', { a: 1 }));
  });

  const ROUTE = 'POST /devices/1/messages';
  it.each([
    ['another route', [ROUTE, { a: 1 }], ['POST /devices/2/messages', { a: 1 }]],
    ['another value', [ROUTE, { a: 1 }], [ROUTE, { a: 2 }]],
    ['a string instead of a number', [ROUTE, { a: 1 }], [ROUTE, { a: '1' }]],
    ['null instead of absent', [ROUTE, { a: 1 }], [ROUTE, { a: 1, b: null }]],
    ['an extra field', [ROUTE, { a: 1 }], [ROUTE, { a: 1, c: 0 }]],
    ['an array in another order', [ROUTE, { list: [1, 2] }], [ROUTE, { list: [2, 1] }]],
    ['a nested value', [ROUTE, { o: { x: 1 } }], [ROUTE, { o: { x: 2 } }]],
  ] as const)('differs for %s', (_what, [routeA, bodyA], [routeB, bodyB]) => {
    expect(requestHash(routeA, bodyA)).not.toBe(requestHash(routeB, bodyB));
  });

  it('keeps the route and the body apart', () => {
    expect(requestHash('a', 'b\nc')).not.toBe(requestHash('a\nb', 'c'));
  });
});
