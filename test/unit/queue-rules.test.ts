import { describe, expect, it } from 'vitest';
import {
  DEVICE_LOGGED_OUT,
  NUMBER_CHECK_TTL_MS,
  TTL_EXPIRED,
  afterFailedAttempt,
  dueAt,
  isExpired,
  knownOnWhatsApp,
  needsRecipientCheck,
  notOnWhatsApp,
  sendPause,
} from '../../src/messages/queue-rules.js';

const NOW = Date.parse('2026-06-15T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const fixed = (value: number) => () => value;
/** Just under 1: Math.random never answers 1 itself. */
const ALMOST_ONE = 0.999_999;

describe('the reasons the queue records', () => {
  it('are stable strings', () => {
    expect(TTL_EXPIRED).toBe('ttl_expired: not sent before its time to live ran out');
    expect(DEVICE_LOGGED_OUT).toBe('device_logged_out: the device was unlinked before the message could be sent');
    expect(notOnWhatsApp('15550001111')).toBe('not_on_whatsapp: 15550001111 is not on WhatsApp');
  });
});

describe('isExpired', () => {
  it.each([
    ['no time to live', null, false],
    ['expiring in 1 ms', iso(NOW + 1), false],
    ['expiring in an hour', iso(NOW + 3_600_000), false],
    ['expiring now', iso(NOW), true],
    ['expired 1 ms ago', iso(NOW - 1), true],
    ['expired a day ago', iso(NOW - 86_400_000), true],
  ] as const)('%s: %s', (_what, expires_at, expected) => {
    expect(isExpired({ expires_at }, NOW)).toBe(expected);
  });
});

describe('sendPause', () => {
  // interval × (1 + (2r − 1) × jitter): r = 0 is the shortest pause, 0.5 the interval itself.
  it.each([
    [1000, 20, 0, 800],
    [1000, 20, 0.25, 900],
    [1000, 20, 0.5, 1000],
    [1000, 20, 0.75, 1100],
    [3000, 10, 0, 2700],
    [3000, 10, 0.5, 3000],
    [3000, 0, 0, 3000],
    [3000, 0, ALMOST_ONE, 3000],
    [0, 50, 0, 0],
    [0, 50, ALMOST_ONE, 0],
    [1000, 100, 0, 0],
    [1000, 100, 0.5, 1000],
  ])('interval %i ms, jitter %i %%, random %d → %d ms', (interval, jitter, random, expected) => {
    expect(sendPause(interval, jitter, fixed(random))).toBeCloseTo(expected, 6);
  });

  it('random just under 1 gives just under interval × (1 + jitter)', () => {
    const pause = sendPause(1000, 20, fixed(ALMOST_ONE));
    expect(pause).toBeLessThan(1200);
    expect(pause).toBeCloseTo(1200, 3);
  });

  it('never answers a negative pause, whatever the jitter', () => {
    expect(sendPause(1000, 150, fixed(0))).toBe(0);
    expect(sendPause(1000, 300, fixed(0.1))).toBe(0);
  });

  it('stays within ±jitter with the real Math.random', () => {
    for (let i = 0; i < 2000; i++) {
      const pause = sendPause(2000, 25);
      expect(pause).toBeGreaterThanOrEqual(1500);
      expect(pause).toBeLessThan(2500);
    }
  });
});

describe('dueAt', () => {
  it.each([
    ['no retry time, paused long ago: now', null, NOW - 10_000, 1000, NOW],
    ['no retry time, pause still running: the end of the pause', null, NOW - 200, 1000, NOW + 800],
    ['no retry time, pause ending now', null, NOW - 1000, 1000, NOW],
    ['a retry time later than the pause', iso(NOW + 5000), NOW - 200, 1000, NOW + 5000],
    ['a retry time earlier than the end of the pause', iso(NOW + 500), NOW - 200, 1000, NOW + 800],
    ['a retry time in the past, no pause', iso(NOW - 5000), 0, 0, NOW - 5000],
    ['never sent (last send at 0), no retry time', null, 0, 3000, NOW],
  ] as const)('%s', (_what, next_attempt_at, lastSentAt, pause, expected) => {
    expect(dueAt({ next_attempt_at }, lastSentAt, pause, NOW)).toBe(expected);
  });
});

describe('afterFailedAttempt', () => {
  const transient = { message: 'socket closed', permanent: false };
  const permanent = { message: 'not on WhatsApp', permanent: true };

  it('a permanent error fails the message at once, with its message as the reason', () => {
    expect(afterFailedAttempt(0, permanent, 5, NOW, fixed(0.5))).toEqual({ kind: 'fail', reason: 'not on WhatsApp' });
    expect(afterFailedAttempt(3, permanent, 100, NOW, fixed(0.5))).toEqual({ kind: 'fail', reason: 'not on WhatsApp' });
  });

  it.each([
    [0, 1, 'gave up after 1 attempts: socket closed'],
    [2, 3, 'gave up after 3 attempts: socket closed'],
    [4, 5, 'gave up after 5 attempts: socket closed'],
    [7, 5, 'gave up after 8 attempts: socket closed'],
  ])('after %i earlier attempts with at most %i, a transient error gives up: %s', (before, max, reason) => {
    expect(afterFailedAttempt(before, transient, max, NOW, fixed(0.5))).toEqual({ kind: 'fail', reason });
  });

  // Backoff: 1 s doubling per attempt made, at most 5 min, times 0.8 + 0.4 r.
  it.each([
    [0, 1, 1_000],
    [1, 2, 2_000],
    [2, 3, 4_000],
    [3, 4, 8_000],
    [5, 6, 32_000],
    [7, 8, 128_000],
    [8, 9, 256_000],
    [9, 10, 300_000],
    [10, 11, 300_000],
    [30, 31, 300_000],
  ])('after %i earlier attempts: retry as attempt %i, %i ms later (±20 %)', (before, attempts, base) => {
    expect(afterFailedAttempt(before, transient, 100, NOW, fixed(0.5))).toEqual({ kind: 'retry', attempts, retryAt: NOW + base, reason: 'socket closed' });
    expect(afterFailedAttempt(before, transient, 100, NOW, fixed(0))).toEqual({ kind: 'retry', attempts, retryAt: NOW + base * 0.8, reason: 'socket closed' });
    const latest = afterFailedAttempt(before, transient, 100, NOW, fixed(ALMOST_ONE));
    expect(latest.kind === 'retry' && latest.retryAt).toBeLessThan(NOW + base * 1.2);
    expect(latest.kind === 'retry' && latest.retryAt).toBeGreaterThan(NOW + base * 1.199);
  });

  it('never waits more than 6 minutes (5 min + 20 %) with the real Math.random', () => {
    for (let before = 0; before < 40; before++) {
      const outcome = afterFailedAttempt(before, transient, 1000, NOW);
      expect(outcome.kind).toBe('retry');
      if (outcome.kind !== 'retry') continue;
      const base = Math.min(300_000, 1000 * 2 ** before);
      expect(outcome.retryAt - NOW).toBeGreaterThanOrEqual(base * 0.8);
      expect(outcome.retryAt - NOW).toBeLessThanOrEqual(base * 1.2);
      expect(outcome.retryAt - NOW).toBeLessThanOrEqual(360_000);
    }
  });

  it('keeps the first 300 characters of the error message', () => {
    const long = 'x'.repeat(500);
    expect(afterFailedAttempt(0, { message: long, permanent: true }, 5, NOW)).toEqual({ kind: 'fail', reason: 'x'.repeat(300) });
    expect(afterFailedAttempt(4, { message: long, permanent: false }, 5, NOW)).toEqual({
      kind: 'fail',
      reason: `gave up after 5 attempts: ${'x'.repeat(300)}`,
    });
    expect(afterFailedAttempt(0, { message: long, permanent: false }, 5, NOW, fixed(0.5))).toEqual({
      kind: 'retry',
      attempts: 1,
      retryAt: NOW + 1000,
      reason: 'x'.repeat(300),
    });
  });
});

describe('needsRecipientCheck', () => {
  // Types that open or continue a conversation, to a phone number (not a LID chat).
  it.each([
    ['text', '15550001111', true],
    ['location', '15550001111', true],
    ['contact', '15550001111', true],
    ['poll', '15550001111', true],
    ['reaction', '15550001111', false],
    ['edit', '15550001111', false],
    ['delete', '15550001111', false],
    ['image', '15550001111', false],
    ['text', null, false],
    ['poll', null, false],
    ['text', '', false],
  ] as const)('a %s to %s: %s', (type, phone, expected) => {
    expect(needsRecipientCheck(type, phone)).toBe(expected);
  });
});

describe('knownOnWhatsApp', () => {
  it('trusts an answer for 24 hours', () => {
    expect(NUMBER_CHECK_TTL_MS).toBe(86_400_000);
  });

  it.each([
    ['no contact', undefined, null],
    ['a contact never checked', { on_whatsapp: null, checked_at: null }, null],
    ['a contact never checked, with an answer somehow', { on_whatsapp: true, checked_at: null }, null],
    ['on WhatsApp, checked just now', { on_whatsapp: true, checked_at: iso(NOW) }, true],
    ['not on WhatsApp, checked just now', { on_whatsapp: false, checked_at: iso(NOW) }, false],
    ['on WhatsApp, checked 23:59:59.999 ago', { on_whatsapp: true, checked_at: iso(NOW - 86_399_999) }, true],
    ['not on WhatsApp, checked an hour ago', { on_whatsapp: false, checked_at: iso(NOW - 3_600_000) }, false],
    ['on WhatsApp, checked exactly 24 h ago (stale)', { on_whatsapp: true, checked_at: iso(NOW - 86_400_000) }, null],
    ['not on WhatsApp, checked two days ago (stale)', { on_whatsapp: false, checked_at: iso(NOW - 2 * 86_400_000) }, null],
    ['checked, no answer stored', { on_whatsapp: null, checked_at: iso(NOW - 1000) }, null],
  ] as const)('%s: %s', (_what, contact, expected) => {
    expect(knownOnWhatsApp(contact, NOW)).toBe(expected);
  });
});
