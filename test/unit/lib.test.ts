import { describe, expect, it } from 'vitest';
import { isUuid, newId } from '../../src/lib/ids.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor, encodeCursor, toPage } from '../../src/lib/pagination.js';
import { RateWindow } from '../../src/lib/rate-window.js';
import { apiTime, nowIso } from '../../src/lib/time.js';
import { errorOf } from './app-error.js';

// src/lib: ids, keyset pagination cursors, RFC 3339 times, the in-memory rate window.

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ID = '0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0b';

describe('newId', () => {
  it('is a UUIDv7 whose first 48 bits are the time in ms', () => {
    const now = Date.parse('2026-06-15T12:00:00.000Z');
    const id = newId(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('is strictly increasing within one millisecond, across the 12-bit counter wrapping', () => {
    const now = Date.parse('2026-06-15T12:00:01.000Z');
    const ids = Array.from({ length: 10_000 }, () => newId(now));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).toBe(true);
  });

  it('never goes back when the clock does', () => {
    const a = newId(Date.parse('2026-06-15T12:00:05.000Z'));
    const b = newId(Date.parse('2026-06-15T12:00:04.000Z'));
    expect(b > a).toBe(true);
  });
});

describe('isUuid', () => {
  it.each([
    [ID, true],
    [ID.toUpperCase(), true],
    ['00000000-0000-0000-0000-000000000000', true],
    [ID.replace(/-/g, ''), false],
    [`${ID} `, false],
    [`{${ID}}`, false],
    ['0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0', false],
    ['0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0g', false],
    ['', false],
  ])('%j: %s', (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});

describe('pagination', () => {
  it('pages of 50 by default, 500 at most (product.md section 2)', () => {
    expect([DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE]).toEqual([50, 500]);
  });

  it('a cursor is the base64url of the last id, and reads back as that id', () => {
    expect(encodeCursor(ID)).toBe('MDE5MGE2YzQtMWMyZC03ZTNmLThhNGItNWM2ZDdlOGY5YTBi');
    expect(decodeCursor('MDE5MGE2YzQtMWMyZC03ZTNmLThhNGItNWM2ZDdlOGY5YTBi')).toBe(ID);
  });

  it('reads an upper-case id back in lower case', () => {
    expect(decodeCursor(encodeCursor(ID.toUpperCase()))).toBe(ID);
  });

  it('no cursor, or an empty one: the first page', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it.each([
    ['base64url of something else', 'bm90LWEtdXVpZA'],
    ['not base64 at all', '!!!'],
    ['a raw id', ID],
    ['an id with a trailing byte', Buffer.from(`${ID}x`).toString('base64url')],
  ])('refuses %s: invalid_cursor', (_what, cursor) => {
    expect(errorOf(() => decodeCursor(cursor))).toEqual({ statusCode: 400, code: 'invalid_cursor', message: 'cursor is not valid' });
  });

  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, n: i }));

  it.each([
    [0, 3],
    [2, 3],
    [3, 3],
  ])('%i rows for a limit of %i: all of them, no next page', (n, limit) => {
    expect(toPage(rows(n), limit)).toEqual({ items: rows(n), nextCursor: null });
  });

  it('limit + 1 rows: the first limit, and a cursor after the last of them', () => {
    expect(toPage(rows(4), 3)).toEqual({ items: rows(3), nextCursor: encodeCursor('00000000-0000-7000-8000-000000000002') });
    expect(decodeCursor(toPage(rows(4), 3).nextCursor!)).toBe('00000000-0000-7000-8000-000000000002');
    expect(toPage(rows(2), 1)).toEqual({ items: rows(1), nextCursor: encodeCursor('00000000-0000-7000-8000-000000000000') });
  });
});

describe('times', () => {
  it('stores RFC 3339 UTC with milliseconds', () => {
    expect(nowIso(new Date(Date.UTC(2026, 5, 15, 12, 0, 0, 7)))).toBe('2026-06-15T12:00:00.007Z');
    expect(nowIso(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(nowIso()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it.each([
    ['2026-06-15T12:00:00.999Z', '2026-06-15T12:00:00Z'],
    ['2026-06-15T12:00:00.000Z', '2026-06-15T12:00:00Z'],
    ['2026-06-15T12:00:00Z', '2026-06-15T12:00:00Z'],
    ['2026-06-15T14:30:00.500+02:00', '2026-06-15T12:30:00Z'],
  ])('shows %s as %s in the API (to the second, UTC)', (stored, shown) => {
    expect(apiTime(stored)).toBe(shown);
  });

  it('shows null as null', () => {
    expect(apiTime(null)).toBeNull();
  });
});

describe('RateWindow (clock given to each call)', () => {
  it('allows max hits per window, then answers the seconds until the oldest leaves it', () => {
    const w = new RateWindow(3, 1000);
    expect([w.take('a', 0), w.take('a', 10), w.take('a', 20)]).toEqual([0, 0, 0]);
    expect(w.take('a', 500)).toBe(0.5); // the hit at 0 leaves at 1000
    expect(w.take('a', 999)).toBe(0.001);
    expect(w.take('a', 1000)).toBe(0); // 0 left; refused hits were not counted
    expect(w.take('a', 1005)).toBe(0.005); // 10, 20 and 1000 in the window: 10 leaves at 1010
    expect(w.take('a', 1010)).toBe(0);
    expect(w.take('a', 1011)).toBeCloseTo(0.009, 9); // 20, 1000, 1010: 20 leaves at 1020
  });

  it('counts each key on its own', () => {
    const w = new RateWindow(1, 60_000);
    expect(w.take('device-1', 0)).toBe(0);
    expect(w.take('device-2', 0)).toBe(0);
    expect(w.take('device-1', 30_000)).toBe(30);
    expect(w.take('device-3', 30_000)).toBe(0);
    expect(w.take('device-2', 60_000)).toBe(0);
  });

  it('keeps counting correctly with many keys (past the pruning threshold)', () => {
    const w = new RateWindow(1, 1000);
    for (let i = 0; i < 10_050; i++) expect(w.take(`k${i}`, i < 10_000 ? 0 : 2000)).toBe(0);
    // Keys seen at 0 were pruned or expired: free again; keys seen at 2000 are still counted.
    expect(w.take('k0', 2500)).toBe(0);
    expect(w.take('k10049', 2500)).toBe(0.5);
  });
});
