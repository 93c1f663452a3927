import type { BinaryNode } from '../baileys.js';
import type { IqRoutes } from '../wire/iq-handlers.js';
import { iqResult } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import type { MediaHost } from './media-host.js';

/** How long a client may reuse the media_conn answer (seconds; Baileys asks again after it). */
const MEDIA_CONN_TTL_S = 3600;

/**
 * The `w:m` IQ: `<iq xmlns="w:m" type="set"><media_conn/></iq>`, which Baileys sends before its
 * first upload (refreshMediaConn). The answer names the upload token and the one media host.
 */
export function mediaConnIqRoutes(media: MediaHost): IqRoutes {
  return {
    'w:m set media_conn': {
      handle: (_session: WireSession, iq: BinaryNode) =>
        iqResult(iq, [
          {
            tag: 'media_conn',
            attrs: { auth: media.auth, ttl: String(MEDIA_CONN_TTL_S), auth_ttl: String(MEDIA_CONN_TTL_S * 6), max_buckets: '12' },
            content: [{ tag: 'host', attrs: { hostname: media.hostname, maxContentLengthBytes: String(media.maxUploadBytes) } }],
          },
        ]),
    },
  };
}
