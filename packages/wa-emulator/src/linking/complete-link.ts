import { randomInt } from 'node:crypto';
import { deviceJid } from '../accounts.js';
import { Curve, getBinaryNodeChild, hmacSign, proto, WA_ADV_ACCOUNT_SIG_PREFIX, type BinaryNode } from '../baileys.js';
import type { AccountRecord, DeviceKind, DeviceRecord } from '../model.js';
import { SERVER_JID } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import { LinkError } from './link-error.js';
import type { PendingLinks } from './pending-links.js';

const PAIR_REPLY_TIMEOUT_MS = 10_000;

/**
 * The steps QR and pairing-code linking share, once the phone knows the device's adv secret:
 * sign the device's identity with the account's key (ADV), send pair-success, wait for
 * pair-device-sign, record the device, then ask the client to restart (515).
 */
export async function completeLink(
  links: PendingLinks,
  session: WireSession,
  account: AccountRecord,
  secrets: { noiseKey: Buffer; advSecret: Buffer },
  kind: DeviceKind = 'companion',
): Promise<DeviceRecord> {
  const registration = session.registration;
  if (!registration || session.state !== 'pairing') throw new LinkError('pairing_failed', 'the device is no longer waiting to be linked');
  // the device is being linked: neither its QR nor a pending pairing code may start another link
  links.forget(session);
  const { hub } = links;

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
