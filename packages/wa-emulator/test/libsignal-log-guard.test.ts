import { describe, expect, it } from 'vitest';
import { guardLibsignalConsole, isLibsignalSecretLog } from '../src/libsignal-log-guard.js';

// Stand-ins named like libsignal's session classes: the guard knows them by constructor name.
class SessionEntry {
  privKey = 'PRIVATE-KEY-BYTES';
}
class SessionRecord {
  sessions = {};
}

describe('the libsignal console guard', () => {
  it('recognises every libsignal message that prints or announces a session record', () => {
    for (const first of [
      'Closing session:',
      'Opening session:',
      'Removing old closed session:',
      'Session already closed',
      'Session already open',
      'Migrating session to:',
      'Closing open session in favor of incoming prekey bundle',
      'Closing stale open session for new outgoing prekey bundle',
      'Decrypted message with closed session.',
      'V1 session storage migration error: registrationId',
    ]) {
      expect(isLibsignalSecretLog([first, { any: 1 }]), first).toBe(true);
    }
  });

  it('recognises a session object whatever the message, and lets everything else through', () => {
    expect(isLibsignalSecretLog(['something else', new SessionEntry()])).toBe(true);
    expect(isLibsignalSecretLog([new SessionRecord()])).toBe(true);
    expect(isLibsignalSecretLog(['WUTS listening on 8080'])).toBe(false);
    expect(isLibsignalSecretLog(['Session error:Error: Bad MAC', 'at ...'])).toBe(false);
    expect(isLibsignalSecretLog([{ closing: 'session' }, Object.create(null), null, 3])).toBe(false);
    expect(isLibsignalSecretLog([])).toBe(false);
  });

  it('once installed, drops those calls on every console level and passes the others on, once per process', () => {
    const levels = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const seen: Array<[string, unknown[]]> = [];
    const saved = Object.fromEntries(levels.map((l) => [l, console[l]]));
    for (const level of levels) console[level] = (...args: unknown[]) => void seen.push([level, args]);
    try {
      guardLibsignalConsole();
      guardLibsignalConsole(); // idempotent: one wrapper only
      const wrapped = console.info;
      guardLibsignalConsole();
      expect(console.info).toBe(wrapped);
      console.info('Closing session:', { privKey: 'PRIVATE-KEY-BYTES' });
      console.log('Opening session:', { privKey: 'PRIVATE-KEY-BYTES' });
      console.warn('Session already closed', { privKey: 'PRIVATE-KEY-BYTES' });
      console.error('V1 session storage migration error: registrationId', 1, 'for open session version', 1);
      console.debug('a dump', new SessionEntry());
      for (const level of levels) console[level](`an ordinary ${level} line`);
    } finally {
      Object.assign(console, saved);
    }
    expect(seen).toEqual(levels.map((l) => [l, [`an ordinary ${l} line`]]));
  });
});
