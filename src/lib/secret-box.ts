import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Values sealed at rest with the operator's secret key (WUTS_SECRET_KEY): AES-256-GCM, a fresh
 * 96-bit nonce per value, and additional authenticated data naming the row the value belongs to,
 * so a value copied into another row (another tenant, device, webhook or key) does not open.
 *
 * Stored text: `wuts:v1:<key id>:<base64url(nonce | ciphertext | tag)>`, where the key id is the
 * first 4 bytes (8 hex digits) of SHA-256 over a fixed label and the key: a rotation reads it to
 * know which key sealed a value, and nothing about the key follows from it.
 */

export const SECRET_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'wuts:v1:';
const KEY_ID_HEX = 8;

export class SecretOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretOpenError';
  }
}

/** 32 bytes given as 64 hex digits or as base64 / base64url (padding optional); undefined otherwise. */
export function parseSecretKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return undefined;
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === SECRET_KEY_BYTES ? key : undefined;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('wuts secret key id\u0000').update(key).digest('hex').slice(0, KEY_ID_HEX);
}

/** Whether a stored text is a sealed value (anything else is a value stored in clear by older versions). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(VERSION);
}

/** The id of the key that sealed a stored value; undefined for a value in clear. */
export function sealedKeyId(stored: string): string | undefined {
  if (!isSealed(stored)) return undefined;
  return stored.slice(VERSION.length, VERSION.length + KEY_ID_HEX);
}

/**
 * The additional authenticated data of a value: what it is (`table.column`) and which row holds
 * it. JSON, so that no choice of ids can make two different rows' data equal.
 */
export function secretAad(what: string, ...rowIds: string[]): string {
  return JSON.stringify([what, ...rowIds]);
}

/** The current key seals; it and the previous keys open. */
export class SecretBox {
  private readonly key: Buffer;
  private readonly keys = new Map<string, Buffer>();
  readonly keyId: string;
  /** What every value sealed with the current key starts with. */
  readonly prefix: string;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [current, ...previous]) {
      if (k.length !== SECRET_KEY_BYTES) throw new Error(`a secret key has ${SECRET_KEY_BYTES} bytes, not ${k.length}`);
    }
    this.key = Buffer.from(current);
    this.keyId = keyIdOf(current);
    this.prefix = `${VERSION}${this.keyId}:`;
    this.keys.set(this.keyId, this.key);
    for (const k of previous) if (!this.keys.has(keyIdOf(k))) this.keys.set(keyIdOf(k), Buffer.from(k));
  }

  /** The ids of the keys this box opens (the current one first). */
  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plain: string, aad: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = cipher.update(plain, 'utf8');
    const final = cipher.final();
    return this.prefix + Buffer.concat([nonce, body, final, cipher.getAuthTag()]).toString('base64url');
  }

  /** The value in clear; SecretOpenError when it is not sealed, sealed by an unknown key, changed, or another row's. */
  open(stored: string, aad: string): string {
    const keyId = sealedKeyId(stored);
    if (keyId === undefined) throw new SecretOpenError('the value is not sealed');
    const key = this.keys.get(keyId);
    if (!key) throw new SecretOpenError(`the value was sealed with key ${keyId}, which is not configured`);
    const raw = Buffer.from(stored.slice(VERSION.length + KEY_ID_HEX + 1), 'base64url');
    if (raw.length < NONCE_BYTES + TAG_BYTES || stored[VERSION.length + KEY_ID_HEX] !== ':') throw new SecretOpenError('the sealed value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretOpenError(`the value sealed with key ${keyId} does not open: it was changed, or belongs to another row`);
    }
  }

  /** Opens a value sealed by any known key and seals it again with the current key. */
  reseal(stored: string, aad: string): string {
    return this.seal(this.open(stored, aad), aad);
  }
}
