import { randomBytes } from 'node:crypto';
import { Curve, getBinaryNodeChild, jidDecode, type BinaryNode } from '../baileys.js';
import { LIMITS, type AccountRecord, type DeviceKind, type DeviceRecord } from '../model.js';
import type { IqRoutes } from '../wire/iq-handlers.js';
import { bytes, iqError, iqResult, SERVER_JID } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import { openKeyBundle, unwrapKey, wrapKey } from './code-crypto.js';
import type { PendingCodePairing } from './code-pairings.js';
import { completeLink } from './complete-link.js';
import { LinkError } from './link-error.js';
import type { PendingLinks } from './pending-links.js';

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

const FINISH_TIMEOUT_MS = 10_000;
const WRAPPED_KEY_BYTES = 32 + 16 + 32;

/** Handles the IQ `md set link_code_companion_reg` (companion_hello and companion_finish). */
export function handleCompanionReg(links: PendingLinks, session: WireSession, iq: BinaryNode): BinaryNode {
  const reg = getBinaryNodeChild(iq, 'link_code_companion_reg');
  const stage = reg?.attrs.stage;
  if (!reg) return iqError(iq, 400, 'bad-request');
  if (stage === 'companion_hello') return companionHello(links, session, iq, reg);
  if (stage === 'companion_finish') return companionFinish(links, session, iq, reg);
  return iqError(iq, 400, 'bad-request');
}

function companionHello(links: PendingLinks, session: WireSession, iq: BinaryNode, reg: BinaryNode): BinaryNode {
  const { hub } = links;
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
  links.codes.add({
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

function companionFinish(links: PendingLinks, session: WireSession, iq: BinaryNode, reg: BinaryNode): BinaryNode {
  const ref = bytes(getBinaryNodeChild(reg, 'link_code_pairing_ref'))?.toString('utf8');
  const pending = ref ? links.codes.get(ref) : undefined;
  if (!pending || pending.session !== session || !pending.onFinish) return iqError(iq, 404, 'item-not-found');
  // a wrong code: the phone could not open the bundle, as WhatsApp's phone would refuse it
  return pending.onFinish(reg) ? iqResult(iq) : iqError(iq, 401, 'not-authorized');
}

/**
 * What the phone does when its user types a pairing code: finds the device that asked for a
 * code for this phone number (the newest first), runs the code exchange with it, and links it.
 */
export async function linkByCode(links: PendingLinks, phone: string, code: string, kind: DeviceKind = 'companion'): Promise<DeviceRecord> {
  const account = links.hub.registry.get(phone);
  if (!account) throw new LinkError('account_not_found', `no account ${phone}`);
  const typed = normalizeCode(code);
  const pending = links.codes.forPhone(phone);
  if (pending.length === 0)
    throw new LinkError('code_pairing_not_found', `no device is waiting for a pairing code for ${phone} (expired, already linked, or never asked)`);
  const free = pending.filter((p) => !p.busy);
  if (free.length === 0) throw new LinkError('pairing_busy', 'a pairing code is being checked for this phone number; try again');
  for (const candidate of free) {
    const advSecret = await exchange(links, account, candidate, typed);
    if (advSecret) {
      links.codes.remove(candidate);
      return completeLink(links, candidate.session, account, { noiseKey: candidate.noiseKey, advSecret }, kind);
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
async function exchange(links: PendingLinks, account: AccountRecord, pending: PendingCodePairing, code: string): Promise<Buffer | undefined> {
  const { session } = pending;
  const { hub } = links;
  pending.busy = true;
  try {
    const primaryEphemeral = Curve.generateKeyPair();
    const companionEphemeral = await unwrapKey(pending.wrappedCompanionEphemeral, code);
    const wrappedPrimary = await wrapKey(primaryEphemeral.public, code);
    // the keys took a moment to derive: the device may have gone meanwhile
    if (!links.codes.get(pending.ref)) throw new LinkError('code_pairing_not_found', 'the device stopped waiting for its pairing code');
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
        const advSecret = openKeyBundle(account.identity, session.registration?.identityKey, primaryEphemeral.private, companionEphemeral, reg);
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
      if (pending.attempts >= LIMITS.codePairingAttempts) links.codes.remove(pending);
    }
    return advSecret;
  } finally {
    pending.busy = false;
    pending.onFinish = undefined;
    pending.onDrop = undefined;
  }
}

/** The IQ linking by code answers for the wire layer; the device sends it while it shows a QR. */
export function pairingCodeIqRoutes(links: PendingLinks): IqRoutes {
  return {
    'md set link_code_companion_reg': { beforeLogin: true, handle: (session, iq) => handleCompanionReg(links, session, iq) },
  };
}
