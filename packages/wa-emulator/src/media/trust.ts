import { Agent as HttpsAgent } from 'node:https';
import { Agent as UndiciAgent } from 'undici';

/**
 * What a Baileys client needs to reach the emulator's media host, whose certificate is
 * self-signed: pass `fetchAgent` to `makeWASocket` (uploads: Baileys 7.0.0-rc14 uploads on
 * Node with `https.request` and this agent) and `dispatcher` to downloads
 * (`downloadMediaMessage(msg, 'buffer', { options: { dispatcher } })` or
 * `downloadContentFromMessage(media, type, { options: { dispatcher } })`: Baileys downloads with
 * the global `fetch`, which takes an undici dispatcher). Both trust `caPem` only (the PEM of
 * GET /admin/media/ca.pem, or `mediaCaPem` of a running emulator), not the usual CAs, so give
 * them to the emulator's media traffic only. `close()` ends their pooled connections.
 *
 * Without code changes: put the PEM in a file and start Node with NODE_EXTRA_CA_CERTS=<file>.
 */
export interface MediaTrust {
  fetchAgent: HttpsAgent;
  /** an undici Agent, typed as the global fetch's `dispatcher` option (what Baileys' download options take) */
  dispatcher: NonNullable<RequestInit['dispatcher']>;
  close(): Promise<void>;
}

export function mediaTrust(caPem: string): MediaTrust {
  const fetchAgent = new HttpsAgent({ ca: caPem, keepAlive: true });
  const dispatcher = new UndiciAgent({ connect: { ca: caPem } });
  return {
    fetchAgent,
    // the npm undici's Agent and the global fetch's (Node's bundled undici) agree at run time; their types differ in details
    dispatcher: dispatcher as unknown as MediaTrust['dispatcher'],
    async close() {
      fetchAgent.destroy();
      await dispatcher.close();
    },
  };
}
