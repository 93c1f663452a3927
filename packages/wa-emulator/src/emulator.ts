import { pino, type Logger } from 'pino';
import { adminAccess } from './admin/access.js';
import { buildAdminApp } from './admin/app.js';
import { guardLibsignalConsole } from './libsignal-log-guard.js';
import { onClientPayload } from './linking/login.js';
import { pairingCodeIqRoutes } from './linking/pairing-code.js';
import { PendingLinks } from './linking/pending-links.js';
import { mediaConnIqRoutes } from './media/media-conn.js';
import { EmulatorMedia } from './media/media.js';
import { GroupActions } from './groups/group-actions.js';
import { groupIqRoutes } from './groups/group-iq.js';
import { GroupPictures, groupPictureIqRoutes } from './groups/group-picture.js';
import { mexIqRoutes } from './restrictions/mex-iq.js';
import { groupStanzaRoutes } from './groups/group-routing.js';
import { EmulatorService } from './service.js';
import { loadState, StateSaver } from './store.js';
import { buildCertChain } from './wire/certificate.js';
import { dispatchNode } from './wire/dispatch.js';
import { Hub } from './wire/hub.js';
import type { SessionHooks } from './wire/session.js';
import { serveWireProtocol } from './wire/socket-server.js';

export interface EmulatorOptions {
  /** 0 = a random free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** persist accounts, devices, keys and queues to this JSON file; absent = in memory */
  statePath?: string;
  logger?: Logger;
  /**
   * every admin HTTP request must carry `Authorization: Bearer <adminToken>` (at least 32
   * characters); required when `host` is not a loopback address. The wire protocol never needs it.
   */
  adminToken?: string;
  /** Host header names the admin API answers besides 127.0.0.1, localhost, [::1] and `host` (`name` or `name:port`) */
  allowedHosts?: string[];
  /**
   * port of the HTTPS media host (always on 127.0.0.1); default: the port of the last run kept in
   * the state file (so media URLs sent before a restart still resolve), else a free port
   */
  mediaPort?: number;
}

export interface RunningEmulator {
  /** http://host:port: the admin API, /openapi.json */
  url: string;
  /** ws://host:port/ws/chat: give it to Baileys as waWebSocketUrl */
  wsUrl: string;
  /** https://127.0.0.1:port: the media host (uploads and downloads of encrypted media), its certificate self-signed */
  mediaUrl: string;
  /**
   * the media host's certificate (PEM, its own CA): what a client must trust to upload and
   * download media (`mediaTrust(mediaCaPem)`, or NODE_EXTRA_CA_CERTS); also at GET /admin/media/ca.pem
   */
  mediaCaPem: string;
  close(): Promise<void>;
}

/** Starts the WhatsApp emulator: the wire protocol at /ws/chat and the admin API, on one port. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  guardLibsignalConsole();
  const logger = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const host = opts.host ?? '127.0.0.1';
  const access = adminAccess(host, opts.adminToken, opts.allowedHosts); // throws before anything starts
  const state = await loadState(opts.statePath);
  const saver = new StateSaver(opts.statePath, state, logger);
  const hub = new Hub(state, saver, logger);
  const links = new PendingLinks(hub);
  const media = await EmulatorMedia.start({
    state,
    saver,
    logger,
    ...(opts.statePath ? { statePath: opts.statePath } : {}),
    ...(opts.mediaPort === undefined ? {} : { port: opts.mediaPort }),
  });
  const groups = new GroupActions(hub);
  const pictures = new GroupPictures(hub, groups);
  media.host.servePictures((groupId, pictureId) => pictures.bytesOf(groupId, pictureId));
  const service = new EmulatorService(hub, links, media, groups, '', logger);
  const app = await buildAdminApp(service, logger, access);

  const iqRoutes = {
    ...pairingCodeIqRoutes(links),
    ...mediaConnIqRoutes(media.host),
    ...groupIqRoutes(hub, groups),
    ...groupPictureIqRoutes(hub, groups, pictures, () => media.host.url),
    ...mexIqRoutes(),
  };
  const groupStanzas = groupStanzaRoutes(hub, groups);
  const hooks: SessionHooks = {
    onClientPayload: async (session, payload) => onClientPayload(links, session, payload),
    onNode: async (session, node) => {
      dispatchNode(hub, iqRoutes, session, node, groupStanzas);
      // a media re-upload request (acked by the routing as a receipt for the server): the sending phone answers it
      if (node.tag === 'receipt' && node.attrs.type === 'server-error' && session.state === 'online') await service.answerMediaRetry(session, node);
    },
    onClose: (session) => hub.detach(session),
  };
  const wire = serveWireProtocol(app.server, {
    serverStatic: state.serverStatic,
    certChain: buildCertChain(state.certRoot, state.serverStatic),
    traffic: hub.traffic,
    hooks,
    logger,
  });

  try {
    await app.listen({ port: opts.port ?? 0, host });
  } catch (err) {
    await media.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}`;
  const wsUrl = `ws://${hostPart}:${port}/ws/chat`;

  service.wsUrl = wsUrl;
  await service.startPhones();
  logger.info({ url, wsUrl, mediaUrl: media.host.url, accounts: hub.registry.list().length }, 'WhatsApp emulator listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl,
    mediaUrl: media.host.url,
    mediaCaPem: media.host.caPem,
    close: () =>
      (closing ??= (async () => {
        await service.stop();
        wire.close();
        await app.close();
        await media.close();
        await saver.flush();
      })()),
  };
}
