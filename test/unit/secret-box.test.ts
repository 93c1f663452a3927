import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { SecretBox, SecretOpenError, isSealed, keyIdOf, parseSecretKey, secretAad, sealedKeyId } from '../../src/lib/secret-box.js';

// The secret box seals values at rest (AES-256-GCM, a fresh nonce per value, the row as
// additional authenticated data); the settings WUTS_SECRET_KEY and WUTS_SECRET_KEY_PREVIOUS.

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const aad = secretAad('device_auth_keys.value_json', 'tenant-1', 'device-1', 'pre-key', '7');
const value = JSON.stringify({ keyPair: { private: randomBytes(32).toString('base64'), public: randomBytes(33).toString('base64') } });

/** The stored text with one character of its base64url body changed at `index` from its end. */
function flip(stored: string, indexFromEnd: number): string {
  const i = stored.length - indexFromEnd;
  const c = stored[i] === 'A' ? 'B' : 'A';
  return stored.slice(0, i) + c + stored.slice(i + 1);
}

describe('SecretBox', () => {
  it('round-trips a value, never keeping it in clear, with a version prefix and the key id', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(value, aad);
    expect(sealed.startsWith(`wuts:v1:${keyIdOf(keyA)}:`)).toBe(true);
    expect(sealed.startsWith(box.prefix)).toBe(true);
    expect(sealed).not.toContain(value);
    expect(sealed).not.toContain(JSON.parse(value).keyPair.private);
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe(box.keyId);
    expect(box.open(sealed, aad)).toBe(value);
    expect(box.open(box.seal('', aad), aad)).toBe('');
    const unicode = 'olá 👋 "quoted" \\ \u0000';
    expect(box.open(box.seal(unicode, aad), aad)).toBe(unicode);
  });

  it('uses a fresh nonce for every value: the same value seals differently each time', () => {
    const box = new SecretBox(keyA);
    const seen = new Set(Array.from({ length: 50 }, () => box.seal(value, aad)));
    expect(seen.size).toBe(50);
  });

  it('detects tampering anywhere: nonce, ciphertext, tag, truncation', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(value, aad);
    const bodyStart = box.prefix.length;
    const tampered = [
      sealed.slice(0, bodyStart) + (sealed[bodyStart] === 'A' ? 'B' : 'A') + sealed.slice(bodyStart + 1), // nonce
      flip(sealed, 100), // ciphertext
      flip(sealed, 2), // tag
      sealed.slice(0, -4), // truncated tag
      sealed.slice(0, bodyStart + 10), // shorter than nonce + tag
    ];
    for (const t of tampered) expect(() => box.open(t, aad), t).toThrow(SecretOpenError);
  });

  it('refuses another row: a value sealed for one row does not open with another row’s data', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal(value, aad);
    for (const other of [
      secretAad('device_auth_keys.value_json', 'tenant-1', 'device-2', 'pre-key', '7'),
      secretAad('device_auth_keys.value_json', 'tenant-2', 'device-1', 'pre-key', '7'),
      secretAad('device_auth_keys.value_json', 'tenant-1', 'device-1', 'pre-key', '8'),
      secretAad('device_auth_keys.value_json', 'tenant-1', 'device-1', 'session', '7'),
      secretAad('device_auth_creds.creds_json', 'tenant-1', 'device-1'),
    ]) {
      expect(() => box.open(sealed, other), other).toThrow(/does not open/);
    }
    // The JSON form keeps ids apart that a plain separator would join.
    expect(secretAad('t', 'a/b', 'c')).not.toBe(secretAad('t', 'a', 'b/c'));
  });

  it('refuses a wrong key, and opens with a previous key given for reading', () => {
    const sealedA = new SecretBox(keyA).seal(value, aad);
    expect(() => new SecretBox(keyB).open(sealedA, aad)).toThrow(`the value was sealed with key ${keyIdOf(keyA)}, which is not configured`);
    // A key whose id was forged onto a value still fails authentication.
    const forged = sealedA.replace(keyIdOf(keyA), keyIdOf(keyB));
    expect(() => new SecretBox(keyB).open(forged, aad)).toThrow(/does not open/);

    const rotated = new SecretBox(keyB, [keyA]);
    expect(rotated.keyIds()).toEqual([keyIdOf(keyB), keyIdOf(keyA)]);
    expect(rotated.open(sealedA, aad)).toBe(value);
    const resealed = rotated.reseal(sealedA, aad);
    expect(sealedKeyId(resealed)).toBe(keyIdOf(keyB));
    expect(new SecretBox(keyB).open(resealed, aad)).toBe(value);
    expect(() => new SecretBox(keyA).open(resealed, aad)).toThrow(SecretOpenError);
  });

  it('refuses a value in clear', () => {
    expect(isSealed('whsec_abc')).toBe(false);
    expect(isSealed('{"noiseKey":1}')).toBe(false);
    expect(() => new SecretBox(keyA).open('whsec_abc', aad)).toThrow('the value is not sealed');
  });

  it('key ids are 8 hex digits, stable per key, distinct between keys', () => {
    expect(keyIdOf(keyA)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(Buffer.from(keyA))).toBe(keyIdOf(keyA));
    expect(keyIdOf(keyA)).not.toBe(keyIdOf(keyB));
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('parseSecretKey', () => {
  it('takes 32 bytes as hex, base64 or base64url', () => {
    expect(parseSecretKey(keyA.toString('hex'))).toEqual(keyA);
    expect(parseSecretKey(keyA.toString('hex').toUpperCase())).toEqual(keyA);
    expect(parseSecretKey(keyA.toString('base64'))).toEqual(keyA);
    expect(parseSecretKey(` ${keyA.toString('base64url')}\n`)).toEqual(keyA);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'secret', keyA.toString('hex').slice(2), randomBytes(31).toString('base64'), randomBytes(33).toString('base64'), 'Z'.repeat(64)]) {
      expect(parseSecretKey(bad), bad).toBeUndefined();
    }
  });
});

describe('WUTS_SECRET_KEY and WUTS_SECRET_KEY_PREVIOUS', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    return 'accepted';
  };

  it('are unset by default (the key then comes from the data directory)', () => {
    const config = loadConfig({});
    expect(config.secretKey).toBeUndefined();
    expect(config.previousSecretKeys).toEqual([]);
  });

  it('read the key and the previous keys, comma-separated, in either format', () => {
    const keyC = randomBytes(32);
    const config = loadConfig({ WUTS_SECRET_KEY: keyB.toString('base64'), WUTS_SECRET_KEY_PREVIOUS: `${keyA.toString('hex')}, ${keyC.toString('base64')}` });
    expect(config.secretKey).toEqual(keyB);
    expect(config.previousSecretKeys).toEqual([keyA, keyC]);
  });

  it('refuse a malformed key, previous keys without a key, and a previous key equal to the key', () => {
    expect(refusal({ WUTS_SECRET_KEY: 'too-short' })).toMatch(/^WUTS_SECRET_KEY must be 32 bytes as 64 hex digits or as base64/);
    expect(refusal({ WUTS_SECRET_KEY_PREVIOUS: keyA.toString('hex') })).toMatch(/^WUTS_SECRET_KEY_PREVIOUS needs WUTS_SECRET_KEY/);
    expect(refusal({ WUTS_SECRET_KEY: keyB.toString('hex'), WUTS_SECRET_KEY_PREVIOUS: `${keyA.toString('hex')},nope` })).toMatch(/entry 2 is not/);
    expect(refusal({ WUTS_SECRET_KEY: keyB.toString('hex'), WUTS_SECRET_KEY_PREVIOUS: keyB.toString('base64') })).toMatch(/must not repeat/);
  });
});
