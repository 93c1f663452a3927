import type { Readable } from 'node:stream';
import type { Deps } from '../deps.js';
import { relievedWhile } from '../lib/churn-relief.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { emitEvent } from '../events/outbox.js';
import { nowIso } from '../lib/time.js';
import { completePendingMedia, failPendingMedia } from '../media/service.js';
import type { MediaContent, MediaDownload, MessageRef } from '../whatsapp/messages.js';
import { claimDueDownloads, scheduleDownloadRetry, type PendingDownload } from './media-download-repo.js';
import * as repo from './repo.js';
import { parseContent, toApiMessage } from './view.js';

/** What a pending media file keeps about where its bytes are (media_files.source_json). */
export interface DownloadSource {
  device_id: string;
  ref: MessageRef;
  download: MediaDownload;
  /** the sender's phone was asked to upload it again once already */
  reuploaded?: boolean;
}

/** Opens a received file from WhatsApp's media host, decrypted; an error with `expired: true` when the host no longer has it. */
export type OpenReceivedMedia = (download: MediaDownload) => Promise<Readable>;

/** A claimed download is this node's for this long; a node that dies mid-download leaves it to another after it. */
const LEASE_MS = 10 * 60_000;
const retryDelayMs = (attempt: number) => Math.min(5 * 60_000, 2_000 * 2 ** (attempt - 1));

const describe = (err: unknown) => ((err as Error)?.message ?? String(err)).slice(0, 500);
const hexOf = (base64: string | null) => (base64 ? Buffer.from(base64, 'base64').toString('hex') : undefined);

/** Downloads the files due now (up to `limit` side by side); answers how many it took. */
export async function downloadDueMedia(deps: Deps, open: OpenReceivedMedia, limit = 4): Promise<number> {
  const now = Date.now();
  const claimed = await claimDueDownloads(deps.db.kysely, nowIso(new Date(now)), nowIso(new Date(now + LEASE_MS)), limit);
  await Promise.all(claimed.map((p) => downloadOne(deps, open, p)));
  return claimed.length;
}

async function downloadOne(deps: Deps, open: OpenReceivedMedia, p: PendingDownload): Promise<void> {
  const source = JSON.parse(p.source_json) as DownloadSource;
  const log = { tenantId: p.tenant_id, mediaId: p.id, messageId: p.message_id, attempt: p.attempts + 1 };
  try {
    // the fetch and the decryption happen in Baileys, whose chunks the store's meter sees only once decrypted
    await relievedWhile(source.download.fileLength ?? 0, async () => {
      const stream = await open(source.download);
      // the message says stored in the transaction that marks the file stored: a crash between them cannot leave it pending
      await completePendingMedia(deps, p.tenant_id, p.id, stream, {
        maxBytes: deps.config.mediaMaxUploadBytes,
        expectedSha256: hexOf(source.download.fileSha256),
        alsoInTransaction: (trx, stored) => settleMessage(trx, p, { state: 'stored', size: stored.size, sha256: stored.sha256 }),
      });
    });
    deps.bus.notify();
    return;
  } catch (err) {
    if ((err as { expired?: boolean }).expired && !source.reuploaded) {
      const moved = await askForReupload(deps, source).catch((e: unknown) => {
        deps.logger.warn({ ...log, err: e }, 'asking the sender to upload a received file again failed');
        return undefined;
      });
      if (moved) {
        const again: DownloadSource = { ...source, reuploaded: true, download: { ...source.download, directPath: moved } };
        await scheduleDownloadRetry(deps.db.kysely, p.id, nowIso(), JSON.stringify(again));
        deps.bus.wakeMediaDownloads();
        return;
      }
    }
    const failures = p.attempts + 1;
    // a file over WUTS_MEDIA_MAX_UPLOAD_BYTES or the tenant's quota will not fit on a later try either
    const tooLarge = (err as { statusCode?: number }).statusCode === 413;
    if (failures >= deps.config.mediaDownloadAttempts || tooLarge) {
      deps.logger.warn({ ...log, err }, 'a received file could not be downloaded: given up');
      await failPendingMedia(deps, p.tenant_id, p.id, describe(err), { retry: false, alsoInTransaction: (trx) => settleMessage(trx, p, { state: 'failed' }) });
      deps.bus.notify();
      return;
    }
    deps.logger.info({ ...log, err: describe(err) }, 'downloading a received file failed; trying again later');
    await failPendingMedia(deps, p.tenant_id, p.id, describe(err), { retry: true });
    await scheduleDownloadRetry(deps.db.kysely, p.id, nowIso(new Date(Date.now() + retryDelayMs(failures))));
  }
}

/** WhatsApp expired the file: the sender's phone uploads it again (when the device is connected here). */
async function askForReupload(deps: Deps, source: DownloadSource): Promise<string | undefined> {
  const devices = deps.bus.devices();
  if (!(await devices.isConnected(source.device_id))) return undefined;
  return devices.reuploadMedia(source.device_id, source.ref, source.download);
}

/** The message shows where its file stands and `message.media` says so, in the caller's transaction (which then notifies the bus). */
async function settleMessage(trx: Kysely<Database>, p: PendingDownload, change: Pick<MediaContent, 'state' | 'size' | 'sha256'>): Promise<void> {
  const row = await repo.findMessage(trx, p.tenant_id, p.message_id);
  if (!row || row.deleted_at) return;
  const content = { ...(parseContent(row) as MediaContent), ...change };
  const at = nowIso();
  await repo.updateMessage(trx, p.tenant_id, row.id, { content_json: JSON.stringify(content), updated_at: at });
  const updated = { ...row, content_json: JSON.stringify(content), updated_at: at };
  await emitEvent(trx, { tenantId: p.tenant_id, deviceId: row.device_id, type: 'message.media', data: { message: toApiMessage(updated) } });
}
