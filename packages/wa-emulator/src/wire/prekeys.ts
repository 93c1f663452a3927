import { getBinaryNodeChild, KEY_BUNDLE_TYPE, type BinaryNode } from '../baileys.js';
import { LIMITS, type AccountRecord, type DeviceRecord } from '../model.js';
import type { Hub } from './hub.js';
import { bytes, children, iqError, iqResult, SERVER_JID, uintBE, unixNow } from './nodes.js';
import type { WireSession } from './session.js';

/** Below this many one-time pre-keys the device is told to upload more (Baileys' MIN_PREKEY_COUNT). */
const LOW_PREKEYS = 5;

export function ownDevice(session: WireSession): DeviceRecord | undefined {
  return session.account?.devices[String(session.deviceId)];
}

export function preKeyCount(session: WireSession, request: BinaryNode): BinaryNode {
  const device = ownDevice(session);
  return iqResult(request, [{ tag: 'count', attrs: { value: String(Object.keys(device?.preKeys ?? {}).length) } }]);
}

/** `<registration><type><identity><list><skey>`: the device's pre-key bundle. */
export function storePreKeys(hub: Hub, session: WireSession, request: BinaryNode): BinaryNode {
  const device = ownDevice(session);
  if (!device) return iqError(request, 401, 'not-authorized');
  const registration = bytes(getBinaryNodeChild(request, 'registration'));
  const identity = bytes(getBinaryNodeChild(request, 'identity'));
  if (registration?.length) device.registrationId = registration.readUIntBE(0, Math.min(registration.length, 6));
  if (identity?.length === 32) device.identityKey = identity;
  for (const key of children(getBinaryNodeChild(request, 'list'), 'key')) {
    if (Object.keys(device.preKeys).length >= LIMITS.preKeysPerDevice) break;
    const id = bytes(getBinaryNodeChild(key, 'id'));
    const value = bytes(getBinaryNodeChild(key, 'value'));
    if (id?.length && value?.length) device.preKeys[String(id.readUIntBE(0, id.length))] = value;
  }
  const signed = parseSignedPreKey(getBinaryNodeChild(request, 'skey'));
  if (signed) device.signedPreKey = signed;
  hub.saver.markDirty();
  return iqResult(request);
}

export function rotateSignedPreKey(hub: Hub, session: WireSession, request: BinaryNode): BinaryNode {
  const device = ownDevice(session);
  const signed = parseSignedPreKey(getBinaryNodeChild(getBinaryNodeChild(request, 'rotate'), 'skey'));
  if (!device || !signed) return iqError(request, 400, 'bad-request');
  device.signedPreKey = signed;
  hub.saver.markDirty();
  return iqResult(request);
}

export function digest(session: WireSession, request: BinaryNode): BinaryNode {
  const device = ownDevice(session);
  if (!device?.signedPreKey) return iqError(request, 404, 'item-not-found');
  return iqResult(request, [{ tag: 'digest', attrs: {} }]);
}

/** `<key><user jid=.../>`: one bundle per device asked for, consuming a one-time pre-key each. */
export function fetchBundles(hub: Hub, request: BinaryNode): BinaryNode {
  const users = children(getBinaryNodeChild(request, 'key'), 'user').slice(0, LIMITS.keyFetchUsers);
  const list: BinaryNode[] = [];
  const drained = new Set<AccountRecord>();
  for (const user of users) {
    const jid = user.attrs.jid;
    const resolved = jid ? hub.registry.resolve(jid) : undefined;
    const device = resolved?.account.devices[String(resolved.device ?? 0)];
    if (!jid || !resolved || !device?.signedPreKey) {
      // left out: Baileys fails that one recipient instead of the whole send
      hub.logger.debug({ jid }, 'no pre-key bundle for jid');
      continue;
    }
    const content: BinaryNode[] = [
      { tag: 'registration', attrs: {}, content: uintBE(device.registrationId, 4) },
      { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
      { tag: 'identity', attrs: {}, content: device.identityKey },
      {
        tag: 'skey',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: uintBE(device.signedPreKey.id, 3) },
          { tag: 'value', attrs: {}, content: device.signedPreKey.public },
          { tag: 'signature', attrs: {}, content: device.signedPreKey.signature },
        ],
      },
    ];
    const oneTimeId = Object.keys(device.preKeys)
      .map(Number)
      .sort((a, b) => a - b)[0];
    if (oneTimeId !== undefined) {
      const value = device.preKeys[String(oneTimeId)]!;
      delete device.preKeys[String(oneTimeId)];
      content.push({
        tag: 'key',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: uintBE(oneTimeId, 3) },
          { tag: 'value', attrs: {}, content: value },
        ],
      });
      if (Object.keys(device.preKeys).length < LOW_PREKEYS) drained.add(resolved.account);
    }
    list.push({ tag: 'user', attrs: { jid }, content });
  }
  hub.saver.markDirty();
  for (const account of drained) notifyLowPreKeys(hub, account);
  return iqResult(request, [{ tag: 'list', attrs: {}, content: list }]);
}

/** The server's "pre-keys low" notification: Baileys uploads more when count < 5. */
function notifyLowPreKeys(hub: Hub, account: AccountRecord): void {
  for (const session of hub.onlineSessions(account)) {
    const device = ownDevice(session);
    const count = Object.keys(device?.preKeys ?? {}).length;
    if (count >= LOW_PREKEYS) continue;
    session.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'encrypt', id: session.nextId(), t: unixNow() },
      content: [{ tag: 'count', attrs: { value: String(count) } }],
    });
  }
}

function parseSignedPreKey(node: BinaryNode | undefined): DeviceRecord['signedPreKey'] {
  const id = bytes(getBinaryNodeChild(node, 'id'));
  const value = bytes(getBinaryNodeChild(node, 'value'));
  const signature = bytes(getBinaryNodeChild(node, 'signature'));
  if (!id?.length || !value?.length || !signature?.length) return undefined;
  return { id: id.readUIntBE(0, id.length), public: value, signature };
}
