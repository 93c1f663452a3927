import { randomBytes, randomInt } from 'node:crypto';
import { Curve, getBinaryNodeChild, hmacSign, proto, WA_ADV_ACCOUNT_SIG_PREFIX, type BinaryNode } from './baileys.js';
import { deviceJid } from './accounts.js';
import type { Hub } from './hub.js';
import { LIMITS, type AccountRecord, type DeviceKind, type DeviceRecord } from './model.js';
import { SERVER_JID, type WireSession } from './session.js';

const PAIR_REPLY_TIMEOUT_MS = 10_000;

export class LinkError extends Error {
  constructor(
    readonly code:
      | 'invalid_qr'
      | 'qr_not_found'
      | 'qr_mismatch'
      | 'account_not_found'
      | 'pairing_failed'
      | 'invalid_code'
      | 'code_pairing_not_found'
      | 'wrong_code'
      | 'pairing_busy',
    message: string,
  ) {
    super(message);
  }
}

export interface QrData {
  ref: string;
  noiseKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platform: string | undefined;
}

/** Parses the QR text Baileys shows: `https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform` (or the bare list). */
export function parseQr(text: string): QrData {
  const hash = text.indexOf('#');
  const parts = (hash >= 0 ? text.slice(hash + 1) : text).trim().split(',');
  const [ref, noise, identity, adv, platform] = parts;
  if (parts.length < 4 || !ref || !noise || !identity || !adv) throw new LinkError('invalid_qr', 'QR text must hold ref,noiseKey,identityKey,advSecret');
  const noiseKey = Buffer.from(noise, 'base64');
  const identityKey = Buffer.from(identity, 'base64');
  const advSecret = Buffer.from(adv, 'base64');
  if (noiseKey.length !== 32 || identityKey.length !== 32 || advSecret.length === 0) throw new LinkError('invalid_qr', 'QR keys are malformed');
  return { ref, noiseKey, identityKey, advSecret, platform };
}

/** A registration payload arrived: keep the device's keys and show it QR refs. */
export function startPairing(hub: Hub, session: WireSession, payload: proto.ClientPayload): void {
  const data = payload.devicePairingData;
  if (!data?.eIdent || !data.eRegid || !data.eSkeyId || !data.eSkeyVal || !data.eSkeySig) {
    session.fail(400);
    return;
  }
  let platform = 'unknown';
  try {
    if (data.deviceProps) platform = proto.DeviceProps.decode(data.deviceProps).os ?? platform;
  } catch {
    // a platform name is cosmetic
  }
  const refs = Array.from({ length: LIMITS.pairingRefs }, () => `2@${randomBytes(24).toString('base64')}`);
  session.registration = {
    refs,
    identityKey: Buffer.from(data.eIdent),
    registrationId: Buffer.from(data.eRegid).readUIntBE(0, data.eRegid.length),
    signedPreKey: { id: Buffer.from(data.eSkeyId).readUIntBE(0, data.eSkeyId.length), public: Buffer.from(data.eSkeyVal), signature: Buffer.from(data.eSkeySig) },
    platform,
  };
  session.state = 'pairing';
  for (const ref of refs) hub.pairings.set(ref, session);
  session.send({
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'set', id: session.nextId(), xmlns: 'md' },
    content: [{ tag: 'pair-device', attrs: {}, content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
  });
}

/**
 * What the phone does when it scans a QR: reads the device's adv secret from it, then
 * links it (completeLink).
 */
export async function linkByQr(hub: Hub, qrText: string, phone: string, kind: DeviceKind = 'companion'): Promise<DeviceRecord> {
  const qr = parseQr(qrText);
  const session = hub.pairings.get(qr.ref);
  const registration = session?.registration;
  if (!session || !registration) throw new LinkError('qr_not_found', 'no device is showing this QR (expired, already used, or never shown)');
  if (!session.clientStaticKey?.equals(qr.noiseKey) || !Buffer.from(registration.identityKey).equals(qr.identityKey)) {
    throw new LinkError('qr_mismatch', 'QR keys do not match the device showing it');
  }
  const account = hub.registry.get(phone);
  if (!account) throw new LinkError('account_not_found', `no account ${phone}`);
  return completeLink(hub, session, account, { noiseKey: qr.noiseKey, advSecret: qr.advSecret }, kind);
}

/**
 * The steps QR and pairing-code linking share, once the phone knows the device's adv secret:
 * sign the device's identity with the account's key (ADV), send pair-success, wait for
 * pair-device-sign, record the device, then ask the client to restart (515).
 */
export async function completeLink(
  hub: Hub,
  session: WireSession,
  account: AccountRecord,
  secrets: { noiseKey: Buffer; advSecret: Buffer },
  kind: DeviceKind = 'companion',
): Promise<DeviceRecord> {
  const registration = session.registration;
  if (!registration || session.state !== 'pairing') throw new LinkError('pairing_failed', 'the device is no longer waiting to be linked');
  // the device is being linked: neither its QR nor a pending pairing code may start another link
  for (const ref of registration.refs) hub.pairings.delete(ref);
  hub.codePairings.dropSession(session);

  const { id, keyIndex } = hub.registry.allocateDevice(account, kind);
  const details = proto.ADVDeviceIdentity.encode({ rawId: randomInt(1, 2 ** 31), timestamp: Math.floor(Date.now() / 1000), keyIndex }).finish();
  const accountSignature = Curve.sign(account.identity.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, registration.identityKey]));
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({ details, accountSignatureKey: account.identity.public, accountSignature }).finish();
  const container = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signedIdentity, hmac: hmacSign(signedIdentity, secrets.advSecret) }).finish();

  let reply: BinaryNode;
  try {
    reply = await session.query(
      {
        tag: 'iq',
        attrs: { from: SERVER_JID, type: 'set', xmlns: 'md', t: String(Math.floor(Date.now() / 1000)) },
        content: [
          {
            tag: 'pair-success',
            attrs: {},
            content: [
              { tag: 'device-identity', attrs: { 'key-index': String(keyIndex) }, content: container },
              { tag: 'platform', attrs: { name: 'android' } },
              // Baileys takes the push name (creds.me.name) from here; presence needs one
              { tag: 'biz', attrs: { name: account.name } },
              { tag: 'device', attrs: { jid: deviceJid(account, id, 'pn'), lid: deviceJid(account, id, 'lid') } },
            ],
          },
        ],
      },
      PAIR_REPLY_TIMEOUT_MS,
    );
  } catch (err) {
    throw new LinkError('pairing_failed', `device did not confirm the pairing: ${(err as Error).message}`);
  }
  if (reply.attrs.type !== 'result' || !getBinaryNodeChild(reply, 'pair-device-sign')) {
    session.close();
    throw new LinkError('pairing_failed', 'device rejected the pairing');
  }
  const device: DeviceRecord = {
    id,
    kind,
    keyIndex,
    platform: registration.platform,
    noiseKey: secrets.noiseKey,
    identityKey: registration.identityKey,
    registrationId: registration.registrationId,
    signedPreKey: registration.signedPreKey,
    preKeys: {},
    linkedAt: new Date().toISOString(),
    queue: [],
  };
  hub.registry.addDevice(account, device);
  hub.saver.markDirty();
  hub.devicesChanged(account, 'update', [id]);
  session.streamError(515);
  hub.logger.info({ phone: account.phone, device: id, kind }, 'device linked');
  return device;
}
