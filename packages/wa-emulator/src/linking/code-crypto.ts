import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Curve, getBinaryNodeChild, hkdf, type BinaryNode } from '../baileys.js';
import type { KeyPair } from '../model.js';
import { bytes } from '../wire/nodes.js';

// The cryptography of linking by pairing code, as Baileys 7.0.0-rc14 runs it on the companion
// side (see pairing-code.ts for the whole exchange).

const pbkdf2Async = promisify(pbkdf2);
/** Baileys: derivePairingCodeKey, PBKDF2-SHA256 with 2 << 16 iterations, 32 bytes */
const PBKDF2_ITERATIONS = 2 << 16;
const BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key';
const ADV_SECRET_INFO = 'adv_secret';

/** Decrypts companion_finish's key bundle and derives the adv secret; undefined for a wrong code. */
export function openKeyBundle(
  primaryIdentity: KeyPair,
  /** the identity key the companion registered with (its registration payload) */
  registeredIdentity: Uint8Array | undefined,
  primaryEphemeralPrivate: Uint8Array,
  companionEphemeral: Buffer,
  reg: BinaryNode,
): Buffer | undefined {
  const bundle = bytes(getBinaryNodeChild(reg, 'link_code_pairing_wrapped_key_bundle'));
  const companionIdentity = bytes(getBinaryNodeChild(reg, 'companion_identity_public'));
  if (!bundle || bundle.length < 32 + 12 + 16 + 96 || !companionIdentity || !registeredIdentity) return undefined;
  const ephemeralShared = Buffer.from(Curve.sharedKey(primaryEphemeralPrivate, companionEphemeral));
  const key = Buffer.from(hkdf(ephemeralShared, 32, { salt: bundle.subarray(0, 32), info: BUNDLE_INFO }));
  let plain: Buffer;
  try {
    const iv = bundle.subarray(32, 44);
    const body = bundle.subarray(44);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(body.subarray(body.length - 16));
    plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    return undefined; // a wrong code: the two sides derived different keys
  }
  if (plain.length !== 96) return undefined;
  const bundledIdentity = plain.subarray(0, 32);
  const primaryIdentityPub = plain.subarray(32, 64);
  const random = plain.subarray(64, 96);
  if (
    !bundledIdentity.equals(companionIdentity) ||
    !bundledIdentity.equals(Buffer.from(registeredIdentity)) ||
    !primaryIdentityPub.equals(Buffer.from(primaryIdentity.public))
  )
    return undefined;
  const identityShared = Buffer.from(Curve.sharedKey(primaryIdentity.private, bundledIdentity));
  return Buffer.from(hkdf(Buffer.concat([ephemeralShared, identityShared, random]), 32, { info: ADV_SECRET_INFO }));
}

async function codeKey(code: string, salt: Buffer): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(code, 'utf8'), salt, PBKDF2_ITERATIONS, 32, 'sha256');
}

/** salt 32 | iv 16 | AES-256-CTR(key), the key from the code: Baileys' generatePairingKey. */
export async function wrapKey(publicKey: Uint8Array, code: string): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', await codeKey(code, salt), iv);
  return Buffer.concat([salt, iv, cipher.update(publicKey), cipher.final()]);
}

/** The inverse of wrapKey: Baileys' decipherLinkPublicKey. Any code "works"; a wrong one gives another key. */
export async function unwrapKey(wrapped: Buffer, code: string): Promise<Buffer> {
  const decipher = createDecipheriv('aes-256-ctr', await codeKey(code, wrapped.subarray(0, 32)), wrapped.subarray(32, 48));
  return Buffer.concat([decipher.update(wrapped.subarray(48, 80)), decipher.final()]);
}
