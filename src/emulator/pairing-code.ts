import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Curve, getBinaryNodeChild, hkdf, jidDecode, type BinaryNode } from './baileys.js';
import type { Hub } from './hub.js';
import { bytes, iqError, iqResult } from './iq-util.js';
import { completeLink, LinkError } from './linking.js';
import { LIMITS, type AccountRecord, type DeviceKind, type DeviceRecord } from './model.js';
import { SERVER_JID, type WireSession } from './session.js';

/*
 * Linking by pairing code, the primary (phone) side of what Baileys 7.0.0-rc14 does as the
 * companion (Socket/socket.js requestPairingCode, Socket/messages-recv.js
 * link_code_companion_reg):
 *
 * 1. companion_hello (companion -> server): its ephemeral public key wrapped with a key
 *    derived from the 8-character code (salt 32 | iv 16 | AES-256-CTR), its Noise key.
 *    The server cannot read the code; it keeps the hello and answers a pairing ref.
 * 2. The user types the code on the phone: the phone unwraps the companion's ephemeral key,
 *    and the server sends the companion primary_hello: the phone's ephemeral key wrapped the
 *    same way and the account's identity key.
 * 3. companion_finish (companion -> server): the key bundle, AES-256-GCM (salt 32 | iv 12 |
 *    ciphertext | tag) under HKDF(ECDH(ephemerals), salt, "link_code_pairing_key_bundle_encryption_key"),
 *    holding companion identity | primary identity | 32 random bytes. A wrong code gives the two
 *    sides different ephemeral keys, so the bundle does not decrypt: that is how the phone knows.
 * 4. adv secret = HKDF(ECDH(ephemerals) | ECDH(identities) | random, "adv_secret"); from here
 *    linking goes on as with a QR (pair-success, pair-device-sign, 515).
 */

const pbkdf2Async = promisify(pbkdf2);
/** Baileys: derivePairingCodeKey, PBKDF2-SHA256 with 2 << 16 iterations, 32 bytes */
const PBKDF2_ITERATIONS = 2 << 16;
const FINISH_TIMEOUT_MS = 10_000;
const WRAPPED_KEY_BYTES = 32 + 16 + 32;
const BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key';
const ADV_SECRET_INFO = 'adv_secret';

export interface PendingCodePairing {
  /** link_code_pairing_ref answered to the companion */
  ref: string;
  phone: string;
  session: WireSession;
  /** salt 32 | iv 16 | AES-CTR(companion ephemeral public key) */
  wrappedCompanionEphemeral: Buffer;
  noiseKey: Buffer;
  platform: string;
  createdAt: number;
  /** wrong codes tried against it so far */
  attempts: number;
  /** the phone is checking a code against it */
  busy: boolean;
  /** set while the phone waits for companion_finish: true when the key bundle opened */
  onFinish: ((reg: BinaryNode) => boolean) | undefined;
  /** set while the phone waits: the request went away (connection closed, expired) */
  onDrop: (() => void) | undefined;
}

/** Pending pairing-code requests: by phone (newest last) and by ref; bounded per account, expiring. */
export class CodePairings {
  private readonly byPhone = new Map<string, PendingCodePairing[]>();
  private readonly byRef = new Map<string, PendingCodePairing>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a request; a device asking again replaces its previous one; the oldest of the account goes past the bound. */
  add(pending: PendingCodePairing): void {
    this.dropSession(pending.session);
    const list = this.live(pending.phone);
    list.push(pending);
    while (list.length > LIMITS.codePairingsPerAccount) {
      const dropped = list.shift();
      if (dropped) {
        this.byRef.delete(dropped.ref);
        dropped.onDrop?.();
      }
    }
    this.byPhone.set(pending.phone, list);
    this.byRef.set(pending.ref, pending);
  }

  /** Live requests for a phone, newest first. */
  forPhone(phone: string): PendingCodePairing[] {
    return [...this.live(phone)].reverse();
  }

  get(ref: string): PendingCodePairing | undefined {
    const pending = this.byRef.get(ref);
    return pending && !this.expired(pending) ? pending : undefined;
  }

  remove(pending: PendingCodePairing): void {
    pending.onDrop?.();
    this.byRef.delete(pending.ref);
    const list = (this.byPhone.get(pending.phone) ?? []).filter((p) => p !== pending);
    if (list.length) this.byPhone.set(pending.phone, list);
    else this.byPhone.delete(pending.phone);
  }

  /** The connection closed or is being linked: its request is gone. */
  dropSession(session: WireSession): void {
    for (const pending of [...this.byRef.values()]) if (pending.session === session) this.remove(pending);
  }

  get size(): number {
    return this.byRef.size;
  }

  private expired(pending: PendingCodePairing): boolean {
    return this.now() - pending.createdAt > LIMITS.codePairingTtlMs || pending.session.state !== 'pairing';
  }

  private live(phone: string): PendingCodePairing[] {
    const list = this.byPhone.get(phone) ?? [];
    const live = list.filter((p) => !this.expired(p));
    for (const p of list) {
      if (live.includes(p)) continue;
      this.byRef.delete(p.ref);
      p.onDrop?.();
    }
    if (live.length) this.byPhone.set(phone, live);
    else this.byPhone.delete(phone);
    return live;
  }
}

/** Handles the IQ `md set link_code_companion_reg` (companion_hello and companion_finish). */
export function handleCompanionReg(hub: Hub, session: WireSession, iq: BinaryNode): BinaryNode {
  const reg = getBinaryNodeChild(iq, 'link_code_companion_reg');
  const stage = reg?.attrs.stage;
  if (!reg) return iqError(iq, 400, 'bad-request');
  if (stage === 'companion_hello') return companionHello(hub, session, iq, reg);
  if (stage === 'companion_finish') return companionFinish(hub, session, iq, reg);
  return iqError(iq, 400, 'bad-request');
}

function companionHello(hub: Hub, session: WireSession, iq: BinaryNode, reg: BinaryNode): BinaryNode {
  if (session.state !== 'pairing' || !session.registration || !session.clientStaticKey) return iqError(iq, 400, 'bad-request');
  const phone = jidDecode(reg.attrs.jid ?? '')?.user ?? '';
  const wrapped = bytes(getBinaryNodeChild(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub'));
  const noiseKey = bytes(getBinaryNodeChild(reg, 'companion_server_auth_key_pub'));
  if (!wrapped || wrapped.length !== WRAPPED_KEY_BYTES || !noiseKey || !noiseKey.equals(session.clientStaticKey)) return iqError(iq, 400, 'bad-request');
  if (!hub.registry.get(phone)) {
    hub.logger.info({ phone, conn: session.label }, 'pairing code asked for a phone number with no account');
    return iqError(iq, 404, 'item-not-found');
  }
  const display = bytes(getBinaryNodeChild(reg, 'companion_platform_display'))?.toString('utf8');
  const ref = randomBytes(16).toString('base64');
  hub.codePairings.add({
    ref,
    phone,
    session,
    wrappedCompanionEphemeral: wrapped,
    noiseKey,
    platform: display?.slice(0, 100) || session.registration.platform,
    createdAt: Date.now(),
    attempts: 0,
    busy: false,
    onFinish: undefined,
    onDrop: undefined,
  });
  hub.logger.info({ phone, conn: session.label }, 'pairing code requested');
  return iqResult(iq, [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }] }]);
}

function companionFinish(hub: Hub, session: WireSession, iq: BinaryNode, reg: BinaryNode): BinaryNode {
  const ref = bytes(getBinaryNodeChild(reg, 'link_code_pairing_ref'))?.toString('utf8');
  const pending = ref ? hub.codePairings.get(ref) : undefined;
  if (!pending || pending.session !== session || !pending.onFinish) return iqError(iq, 404, 'item-not-found');
  // a wrong code: the phone could not open the bundle, as WhatsApp's phone would refuse it
  return pending.onFinish(reg) ? iqResult(iq) : iqError(iq, 401, 'not-authorized');
}

/**
 * What the phone does when its user types a pairing code: finds the device that asked for a
 * code for this phone number (the newest first), runs the code exchange with it, and links it.
 */
export async function linkByCode(hub: Hub, phone: string, code: string, kind: DeviceKind = 'companion'): Promise<DeviceRecord> {
  const account = hub.registry.get(phone);
  if (!account) throw new LinkError('account_not_found', `no account ${phone}`);
  const typed = normalizeCode(code);
  const pending = hub.codePairings.forPhone(phone);
  if (pending.length === 0) throw new LinkError('code_pairing_not_found', `no device is waiting for a pairing code for ${phone} (expired, already linked, or never asked)`);
  const free = pending.filter((p) => !p.busy);
  if (free.length === 0) throw new LinkError('pairing_busy', 'a pairing code is being checked for this phone number; try again');
  for (const candidate of free) {
    const advSecret = await exchange(hub, account, candidate, typed);
    if (advSecret) {
      hub.codePairings.remove(candidate);
      return completeLink(hub, candidate.session, account, { noiseKey: candidate.noiseKey, advSecret }, kind);
    }
  }
  throw new LinkError('wrong_code', 'the code does not match any device waiting to be linked to this phone number');
}

/** Codes are typed in upper case; WhatsApp shows them as XXXX-XXXX. */
function normalizeCode(code: string): string {
  const typed = code.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z0-9]{8}$/.test(typed)) throw new LinkError('invalid_code', 'a pairing code is 8 letters and digits (XXXX-XXXX)');
  return typed;
}

/**
 * primary_hello, then companion_finish: answers the adv secret, or undefined when the code
 * is wrong (the key bundle does not decrypt). A request that failed too often is dropped.
 */
async function exchange(hub: Hub, account: AccountRecord, pending: PendingCodePairing, code: string): Promise<Buffer | undefined> {
  const { session } = pending;
  pending.busy = true;
  try {
    const primaryEphemeral = Curve.generateKeyPair();
    const companionEphemeral = await unwrapKey(pending.wrappedCompanionEphemeral, code);
    const wrappedPrimary = await wrapKey(primaryEphemeral.public, code);
    // the keys took a moment to derive: the device may have gone meanwhile
    if (!hub.codePairings.get(pending.ref)) throw new LinkError('code_pairing_not_found', 'the device stopped waiting for its pairing code');
    const finished = new Promise<Buffer | undefined>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        pending.onFinish = undefined;
        pending.onDrop = undefined;
      };
      const timer = setTimeout(() => {
        done();
        reject(new LinkError('pairing_failed', `the device did not finish the code pairing within ${FINISH_TIMEOUT_MS} ms`));
      }, FINISH_TIMEOUT_MS);
      pending.onDrop = () => {
        done();
        reject(new LinkError('pairing_failed', 'the device went away during the code pairing'));
      };
      pending.onFinish = (reg) => {
        done();
        const advSecret = openKeyBundle(account, pending, primaryEphemeral.private, companionEphemeral, reg);
        resolve(advSecret);
        return advSecret !== undefined;
      };
    });
    session.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'link_code_companion_reg', id: session.nextId(), t: String(Math.floor(Date.now() / 1000)) },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(pending.ref) },
            { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary },
            { tag: 'primary_identity_pub', attrs: {}, content: Buffer.from(account.identity.public) },
          ],
        },
      ],
    });
    const advSecret = await finished;
    if (!advSecret) {
      pending.attempts++;
      hub.logger.info({ phone: account.phone, attempts: pending.attempts }, 'wrong pairing code');
      if (pending.attempts >= LIMITS.codePairingAttempts) hub.codePairings.remove(pending);
    }
    return advSecret;
  } finally {
    pending.busy = false;
    pending.onFinish = undefined;
    pending.onDrop = undefined;
  }
}

/** Decrypts companion_finish's key bundle and derives the adv secret; undefined for a wrong code. */
function openKeyBundle(account: AccountRecord, pending: PendingCodePairing, primaryEphemeralPrivate: Uint8Array, companionEphemeral: Buffer, reg: BinaryNode): Buffer | undefined {
  const bundle = bytes(getBinaryNodeChild(reg, 'link_code_pairing_wrapped_key_bundle'));
  const companionIdentity = bytes(getBinaryNodeChild(reg, 'companion_identity_public'));
  const registered = pending.session.registration?.identityKey;
  if (!bundle || bundle.length < 32 + 12 + 16 + 96 || !companionIdentity || !registered) return undefined;
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
  const primaryIdentity = plain.subarray(32, 64);
  const random = plain.subarray(64, 96);
  if (!bundledIdentity.equals(companionIdentity) || !bundledIdentity.equals(Buffer.from(registered)) || !primaryIdentity.equals(Buffer.from(account.identity.public))) return undefined;
  const identityShared = Buffer.from(Curve.sharedKey(account.identity.private, bundledIdentity));
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
