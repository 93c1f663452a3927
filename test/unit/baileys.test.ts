import { DEFAULT_CONNECTION_CONFIG } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { classifyDisconnect, describeCloseError } from '../../src/whatsapp/baileys/disconnect.js';
import { nextMessageTag } from '../../src/whatsapp/baileys/pairing.js';
import { BoundedKeyCache, KnownAbsentKeys } from '../../src/whatsapp/baileys/key-cache.js';
import { loadSessionAuth } from '../../src/whatsapp/baileys/auth-state.js';
import type { SessionStore } from '../../src/whatsapp/provider.js';
import { pino } from 'pino';
import { WHATSAPP_WS_URL, whatsappEndpoint } from '../../src/whatsapp/endpoint.js';

// The pure parts of the Baileys provider (src/whatsapp/baileys): how a close is classified, the
// pairing IQ tag, the bounded key cache. The libsignal console guard is tested with its package
// (packages/wa-emulator/test/libsignal-log-guard.test.ts).

const base = { message: 'x', linking: false, requested: null } as const;

describe('disconnect reasons (docs/emulator.md table)', () => {
  it.each([
    [515, 'restart_required'],
    [401, 'logged_out'],
    [403, 'forbidden'],
    [440, 'connection_replaced'],
    [411, 'bad_session'],
    [405, 'client_outdated'],
    [408, 'transient'],
    [428, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [null, 'transient'],
    [999, 'transient'],
  ] as const)('status %s → %s', (statusCode, kind) => {
    expect(classifyDisconnect({ ...base, statusCode })).toBe(kind);
  });

  it('a 408 is qr_expired when the QR refs ran out or a QR was showing, transient otherwise', () => {
    expect(classifyDisconnect({ ...base, statusCode: 408, message: 'QR refs attempts ended' })).toBe('qr_expired');
    expect(classifyDisconnect({ ...base, statusCode: 408, linking: true })).toBe('qr_expired');
    expect(classifyDisconnect({ ...base, statusCode: 408, message: 'WebSocket Error (connect ECONNREFUSED 127.0.0.1:1)' })).toBe('transient');
    expect(classifyDisconnect({ ...base, statusCode: 500, linking: true })).toBe('transient');
  });

  it('what we asked for wins over the code the socket reports', () => {
    expect(classifyDisconnect({ ...base, statusCode: 401, requested: 'closed_by_us' })).toBe('closed_by_us');
    expect(classifyDisconnect({ ...base, statusCode: 428, requested: 'logged_out' })).toBe('logged_out');
    expect(classifyDisconnect({ ...base, statusCode: null, requested: 'closed_by_us' })).toBe('closed_by_us');
  });

  it('reads status code and message from a Boom, and copes with nothing or a plain error', () => {
    // Baileys closes with a Boom: an Error with output.statusCode
    const boom = Object.assign(new Error('Stream Errored (restart required)'), { output: { statusCode: 515 } });
    expect(describeCloseError(boom)).toEqual({ statusCode: 515, message: 'Stream Errored (restart required)' });
    expect(describeCloseError(undefined)).toEqual({ statusCode: null, message: 'closed' });
    expect(describeCloseError(new Error('boom'))).toEqual({ statusCode: null, message: 'boom' });
  });
});

describe('pairing IQ id', () => {
  it('is the tag after the one taken just before (Baileys: prefix + counter)', () => {
    expect(nextMessageTag('12345.678-9')).toBe('12345.678-10');
    expect(nextMessageTag('1.2-0')).toBe('1.2-1');
    expect(nextMessageTag('no-counter-')).toBeNull();
  });
});

describe('bounded key cache', () => {
  it('does not keep one-time pre-keys, which are read back at most once', () => {
    const cache = new BoundedKeyCache(10);
    cache.set('pre-key.7', { public: 1 });
    cache.set('session.15550001111.0', { open: true });
    expect(cache.get('pre-key.7')).toBeUndefined();
    expect(cache.get('session.15550001111.0')).toEqual({ open: true });
  });

  it('keeps the most recently used entries up to its bound, and forgets everything on flush', () => {
    const cache = new BoundedKeyCache(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('d', 4); // b goes
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
    cache.set('n', null);
    expect(cache.get('n')).toBeNull(); // a deleted key is cached as null, as Baileys' own cache does
    cache.del('n');
    expect(cache.get('n')).toBeUndefined();
    cache.flushAll();
    expect(cache.size).toBe(0);
  });
});

describe('keys known to be absent', () => {
  /** A session store in memory that counts the key reads reaching it. */
  function countingStore() {
    const keys = new Map<string, string>();
    const reads: string[][] = [];
    const store: SessionStore = {
      readCreds: async () => null,
      writeCreds: async () => {},
      readKeys: async (type, ids) => {
        reads.push(ids.map((id) => `${type}.${id}`));
        return new Map(ids.filter((id) => keys.has(`${type}.${id}`)).map((id) => [id, keys.get(`${type}.${id}`)!]));
      },
      writeKeys: async (entries) => {
        for (const e of entries) {
          if (e.value === null) keys.delete(`${e.type}.${e.id}`);
          else keys.set(`${e.type}.${e.id}`, e.value);
        }
      },
      clear: async () => keys.clear(),
    };
    return { store, reads };
  }

  it('a key read and not found is not asked of the store again, until it is written', async () => {
    const { store, reads } = countingStore();
    const auth = await loadSessionAuth(store, pino({ level: 'silent' }));
    expect(await auth.state.keys.get('tctoken', ['155500@s.whatsapp.net'])).toEqual({});
    expect(await auth.state.keys.get('tctoken', ['155500@s.whatsapp.net'])).toEqual({});
    expect(reads).toEqual([['tctoken.155500@s.whatsapp.net']]);
    await auth.state.keys.get('tctoken', ['155500@s.whatsapp.net', '155501@s.whatsapp.net']);
    expect(reads.at(-1)).toEqual(['tctoken.155501@s.whatsapp.net']); // only the one never asked
    await auth.state.keys.set({ tctoken: { '155500@s.whatsapp.net': { token: Buffer.from('t'), timestamp: '1' } } });
    await auth.state.keys.clear?.(); // forgets Baileys' own cache (not the store): the next read reaches the store
    expect(Object.keys(await auth.state.keys.get('tctoken', ['155500@s.whatsapp.net']))).toEqual(['155500@s.whatsapp.net']);
  });

  it('is bounded: the oldest is forgotten first', () => {
    const absent = new KnownAbsentKeys(2);
    absent.add('session', 'a');
    absent.add('session', 'b');
    absent.add('session', 'c');
    expect([absent.has('session', 'a'), absent.has('session', 'b'), absent.has('session', 'c')]).toEqual([false, true, true]);
    absent.delete('session', 'b');
    expect(absent.has('session', 'b')).toBe(false);
    expect(absent.has('tctoken', 'c')).toBe(false); // per type
  });
});

describe('the WhatsApp endpoint a session records', () => {
  it("is WhatsApp's own (Baileys' default) when WUTS_WA_WS_URL is unset", () => {
    expect(DEFAULT_CONNECTION_CONFIG.waWebSocketUrl).toBe(WHATSAPP_WS_URL);
    expect(whatsappEndpoint(undefined)).toBe(WHATSAPP_WS_URL);
  });

  it('is WUTS_WA_WS_URL otherwise, spelled one way for one URL', () => {
    expect(whatsappEndpoint('ws://127.0.0.1:7080/ws/chat')).toBe('ws://127.0.0.1:7080/ws/chat');
    expect(whatsappEndpoint('WSS://Web.WhatsApp.com:443/ws/chat')).toBe(WHATSAPP_WS_URL);
    expect(whatsappEndpoint('ws://127.0.0.1:7081/ws/chat')).not.toBe(whatsappEndpoint('ws://127.0.0.1:7080/ws/chat'));
  });
});
