import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

/** A received message's file waiting to be downloaded. */
export interface PendingDownload {
  id: string;
  tenant_id: string;
  message_id: string;
  mime_type: string;
  filename: string | null;
  /** the MediaDownload (where WhatsApp keeps the file, its keys) as JSON */
  source_json: string;
  /** failed attempts so far */
  attempts: number;
}

/**
 * Claims up to `limit` due downloads for this node: pending files whose next attempt is due
 * (or whose downloading node died: its lease ran out). Each claim moves the next attempt to
 * `leaseUntil`, guarded by the value it read, so two nodes never take the same file. Failed
 * attempts are counted by the media service (failPendingMedia).
 */
export async function claimDueDownloads(db: Db, now: string, leaseUntil: string, limit: number): Promise<PendingDownload[]> {
  const due = await db
    .selectFrom('media_files')
    .select(['id', 'tenant_id', 'message_id', 'mime_type', 'filename', 'source_json', 'attempts', 'next_attempt_at'])
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  const claimed: PendingDownload[] = [];
  for (const row of due) {
    if (!row.message_id || !row.source_json || !row.next_attempt_at) continue;
    const result = await db
      .updateTable('media_files')
      .set({ next_attempt_at: leaseUntil, updated_at: now })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '=', row.next_attempt_at)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) claimed.push({ ...row, message_id: row.message_id, source_json: row.source_json, attempts: Number(row.attempts) });
  }
  return claimed;
}

/** When the next attempt of a download is due; `source_json` when the file moved (re-uploaded). */
export async function scheduleDownloadRetry(db: Db, id: string, at: string, sourceJson?: string): Promise<void> {
  await db
    .updateTable('media_files')
    .set({ next_attempt_at: at, ...(sourceJson ? { source_json: sourceJson } : {}) })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}
