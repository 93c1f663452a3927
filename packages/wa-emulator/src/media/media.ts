import type { Logger } from 'pino';
import { LIMITS, type EmulatorState } from '../model.js';
import type { StateSaver } from '../store.js';
import { BlobStore } from './blob-store.js';
import { generateMediaCertificate, stillValid } from './certificate.js';
import { MediaHost, newMediaAuth } from './media-host.js';
import { mediaTrust, type MediaTrust } from './trust.js';

/** The directory beside a state file that keeps its media blobs. */
export const mediaDirOf = (statePath: string): string => `${statePath}.media`;

/**
 * Everything media: the blob store (in memory, or beside the state file), the HTTPS media
 * host with its certificate and upload token (kept in the state, with its port, so that a
 * restart keeps media URLs and clients' trust valid), and the trust the phones use to reach it.
 */
export class EmulatorMedia {
  private constructor(
    readonly store: BlobStore,
    readonly host: MediaHost,
    /** for the accounts' phones: uploads (fetchAgent) and downloads (dispatcher) */
    readonly trust: MediaTrust,
  ) {}

  static async start(opts: { state: EmulatorState; saver: StateSaver; statePath?: string; port?: number; logger: Logger }): Promise<EmulatorMedia> {
    const { state, logger } = opts;
    const stored = state.media;
    const cert = stillValid(stored) ? { certPem: stored.certPem, keyPem: stored.keyPem } : await generateMediaCertificate();
    const auth = stored?.auth ?? newMediaAuth();
    const dir = opts.statePath ? mediaDirOf(opts.statePath) : undefined;
    const store = await BlobStore.open(dir, dir ? LIMITS.mediaDiskBytes : LIMITS.mediaMemoryBytes, logger);
    const wanted = opts.port ?? (opts.statePath ? (stored?.port ?? 0) : 0);
    const hostOpts = { store, cert, auth, maxUploadBytes: LIMITS.mediaUploadBytes, logger };
    let host: MediaHost;
    try {
      host = await MediaHost.start({ ...hostOpts, port: wanted });
    } catch (err) {
      if (opts.port !== undefined || wanted === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      logger.warn({ port: wanted }, 'media host port of the last run is taken: media URLs sent before this restart will not resolve');
      host = await MediaHost.start({ ...hostOpts, port: 0 });
    }
    state.media = { ...cert, auth, port: host.port };
    opts.saver.markDirty();
    return new EmulatorMedia(store, host, mediaTrust(cert.certPem));
  }

  async close(): Promise<void> {
    await this.host.close();
    await this.trust.close();
  }
}
