import { deviceJid } from '../accounts.js';
import type { proto } from '../baileys.js';
import { SERVER_JID } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import type { PendingLinks } from './pending-links.js';
import { startPairing } from './qr-linking.js';

/** The handshake is done: a payload without username registers a new device, one with it logs in. */
export function onClientPayload(links: PendingLinks, session: WireSession, payload: proto.ClientPayload): void {
  if (payload.username === null || payload.username === undefined || String(payload.username) === '0') {
    startPairing(links, session, payload);
    return;
  }
  const { hub } = links;
  const phone = String(payload.username);
  const deviceId = payload.device ?? 0;
  const account = hub.registry.get(phone);
  const device = account?.devices[String(deviceId)];
  // the device proves who it is by its static Noise key, registered when it linked
  if (!account || !device || !session.clientStaticKey || !Buffer.from(device.noiseKey).equals(session.clientStaticKey)) {
    hub.logger.info({ phone, deviceId }, 'login refused: unknown or unlinked device');
    session.fail(401);
    return;
  }
  hub.attach(session, account, deviceId);
  session.send({
    tag: 'success',
    attrs: {
      t: String(Math.floor(Date.now() / 1000)),
      lid: deviceJid(account, deviceId, 'lid'),
      props: '1',
      abprops: '1',
      location: 'emulator',
      creation: String(Math.floor(Date.parse(device.linkedAt) / 1000)),
    },
  });
  hub.flushQueue(session);
  hub.logger.debug({ jid: session.label, server: SERVER_JID }, 'device logged in');
}
