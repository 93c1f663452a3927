import { randomBytes } from 'node:crypto';
import { proto } from '../baileys.js';
import { LIMITS, type DeviceKind, type DeviceRecord } from '../model.js';
import { SERVER_JID } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import { completeLink } from './complete-link.js';
import { LinkError } from './link-error.js';
import type { PendingLinks } from './pending-links.js';

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
export function startPairing(links: PendingLinks, session: WireSession, payload: proto.ClientPayload): void {
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
    signedPreKey: {
      id: Buffer.from(data.eSkeyId).readUIntBE(0, data.eSkeyId.length),
      public: Buffer.from(data.eSkeyVal),
      signature: Buffer.from(data.eSkeySig),
    },
    platform,
  };
  session.state = 'pairing';
  for (const ref of refs) links.qrRefs.set(ref, session);
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
export async function linkByQr(links: PendingLinks, qrText: string, phone: string, kind: DeviceKind = 'companion'): Promise<DeviceRecord> {
  const qr = parseQr(qrText);
  const session = links.qrRefs.get(qr.ref);
  const registration = session?.registration;
  if (!session || !registration) throw new LinkError('qr_not_found', 'no device is showing this QR (expired, already used, or never shown)');
  if (!session.clientStaticKey?.equals(qr.noiseKey) || !Buffer.from(registration.identityKey).equals(qr.identityKey)) {
    throw new LinkError('qr_mismatch', 'QR keys do not match the device showing it');
  }
  const account = links.hub.registry.get(phone);
  if (!account) throw new LinkError('account_not_found', `no account ${phone}`);
  return completeLink(links, session, account, { noiseKey: qr.noiseKey, advSecret: qr.advSecret }, kind);
}
