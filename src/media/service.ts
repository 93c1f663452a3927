import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer, supportedMimeTypes } from 'file-type';
import type { Kysely } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { tenantUserOf } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { Database, MediaOrigin, MediaState } from '../db/schema.js';
import { countedAsMedia, noteMediaBytes } from '../lib/churn-relief.js';
import type { Deps } from '../deps.js';
import { AppError, badRequest, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { apiTime, nowIso } from '../lib/time.js';
import { lockTenant } from '../tenants/repo.js';
import { cleanFilename, judgeMediaType, parseMimeType } from './media-type.js';
import * as repo from './repo.js';
import type { ByteRange } from './store.js';

/**
 * Media files: bytes a tenant uploaded (POST /media), that WUTS fetched or decoded to send
 * (`origin` `url`, `data`), or that it downloaded from WhatsApp (`inbound`). Each file is a row
 * of `media_files`; its bytes are a blob in the media store at `tenants/<tenant id>/<sha256>`,
 * shared by every row of the tenant with the same bytes and deleted with the last of them.
 *
 * Blobs and rows change together under the tenant's lock (`lockTenant`): a row is inserted by
 * a transaction that has seen its blob in the store (placed just before), and a blob is
 * deleted only in a transaction that has seen no row naming it, so a row never names a
 * missing blob.
 */

/** A stored media file as the API (and other services) show it. */
export interface MediaView {
  id: string;
  /** What the bytes are: the declared type once checked against them (parameters kept), else the sniffed one. */
  mime_type: string;
  size: number;
  /** Hex SHA-256 of the bytes; also the ETag of its content. */
  sha256: string;
  filename: string | null;
  /** When the id stops working (uploads: WUTS_MEDIA_UPLOAD_TTL_HOURS); null: kept until the retention. */
  expires_at: string | null;
}

/** Any media row, pending and failed ones included (the inbound download worker's view). */
export interface MediaRecord {
  id: string;
  tenant_id: string;
  state: MediaState;
  origin: MediaOrigin;
  mime_type: string;
  filename: string | null;
  sha256: string | null;
  size: number | null;
  /** What createPendingMedia was given as `source` (parsed JSON), or null. */
  source: unknown;
  attempts: number;
  error: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

export interface IngestOptions {
  /** The type the client (or WhatsApp) says the bytes are; checked against them (see judgeMediaType). */
  declaredMimeType?: string | undefined;
  /** A file name to keep (cleaned: no path, no control characters, at most 255 characters). */
  filename?: string | undefined;
  origin: Exclude<MediaOrigin, 'inbound'>;
  /** More bytes than this: 413 media_too_large (the rest is not read). */
  maxBytes: number;
  /** When the id stops working; absent or null: kept until the retention. */
  expiresAt?: Date | null | undefined;
}

/** The first bytes kept for sniffing the type (file-type reads at most about 4 KiB of most formats). */
const SNIFF_BYTES = 8192;

export const mediaTooLarge = (maxBytes: number) => new AppError(413, 'media_too_large', `the media file is larger than ${maxBytes} bytes`);
export const mediaQuotaExceeded = (quota: number) =>
  new AppError(413, 'media_quota_exceeded', `storing this file would exceed the tenant's media quota of ${quota} bytes`);
export const mediaHashMismatch = () => new AppError(502, 'media_hash_mismatch', 'the downloaded bytes do not have the expected SHA-256');

export function blobKey(tenantId: string, sha256: string): string {
  return `tenants/${tenantId}/${sha256}`;
}

function toView(row: repo.MediaRow): MediaView {
  return {
    id: row.id,
    mime_type: row.mime_type,
    size: Number(row.size),
    sha256: row.sha256!,
    filename: row.filename,
    expires_at: apiTime(row.expires_at),
  };
}

function toRecord(row: repo.MediaRow): MediaRecord {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    state: row.state,
    origin: row.origin,
    mime_type: row.mime_type,
    filename: row.filename,
    sha256: row.sha256,
    size: row.size === null ? null : Number(row.size),
    source: row.source_json === null ? null : JSON.parse(row.source_json),
    attempts: Number(row.attempts),
    error: row.error,
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
    expires_at: apiTime(row.expires_at),
  };
}

interface Received {
  tempKey: string;
  sha256: string;
  size: number;
  head: Buffer;
}

/**
 * Streams `source` into the store at a temporary key, hashing and counting as it goes; beyond
 * `maxBytes` it stops reading and throws 413 media_too_large. Nothing stays in the store when it throws.
 */
async function receive(deps: Deps, source: Readable, maxBytes: number, contentType: string): Promise<Received> {
  const tempKey = `tmp/${randomUUID()}`;
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  let tooLarge = false;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        return done(mediaTooLarge(maxBytes));
      }
      hash.update(chunk);
      noteMediaBytes(chunk.length);
      if (headLength < SNIFF_BYTES) {
        head.push(chunk.subarray(0, SNIFF_BYTES - headLength));
        headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
      }
      done(null, chunk);
    },
  });
  const piped = pipeline(source, meter).catch(() => {});
  try {
    await deps.media.put(tempKey, meter, { contentType });
  } catch (err) {
    source.destroy();
    await deps.media.delete(tempKey).catch(() => {});
    if (tooLarge) throw mediaTooLarge(maxBytes);
    throw err;
  } finally {
    await piped;
  }
  return { tempKey, sha256: hash.digest('hex'), size, head: Buffer.concat(head) };
}

/**
 * Places the received bytes at their content-addressed key (or drops them when the tenant
 * already has that blob), checks the quota, and inserts (`row` absent: completes) the row
 * under the tenant's lock. A blob the store does not have yet is placed before the
 * transaction: a move is a rename and a directory fsync (a copy on S3), and holding the
 * database meanwhile (SQLite's one connection) stalled every other query for ~10 ms per file.
 * The transaction then checks the blob is still there: a delete of the tenant's last row with
 * the same bytes may have removed it meanwhile (503, send again). A blob placed here that no
 * row came to name is removed again. The temporary object is gone afterwards, whatever happened.
 */
async function keep(deps: Deps, tenantId: string, received: Received, write: (trx: Kysely<Database>) => Promise<void>): Promise<void> {
  const key = blobKey(tenantId, received.sha256);
  const quota = deps.config.mediaQuotaBytesPerTenant;
  let placed = false;
  try {
    if (!(await deps.media.head(key))) {
      await deps.media.move(received.tempKey, key);
      placed = true;
    }
    await deps.db.kysely.transaction().execute(async (trx) => {
      if (!(await lockTenant(trx, deps.db.dialect, tenantId))) throw notFound('tenant');
      const shared = await repo.blobReferenced(trx, tenantId, received.sha256);
      // Each blob counts once: bytes the tenant already has cost nothing more.
      if (!shared && quota > 0 && (await repo.tenantMediaBytes(trx, tenantId)) + received.size > quota) throw mediaQuotaExceeded(quota);
      // a blob no row names (left by a failed delete) is replaced by the bytes just checked
      if (!placed && !shared) await deps.media.move(received.tempKey, key);
      else if (!(await deps.media.head(key))) throw blobDeletedMeanwhile();
      await write(trx);
    });
  } catch (err) {
    if (placed) await dropUnnamedBlob(deps, tenantId, received.sha256);
    throw err;
  } finally {
    await deps.media
      .delete(received.tempKey)
      .catch((err: unknown) => deps.logger.warn({ err, key: received.tempKey }, 'could not delete a temporary media object'));
  }
}

const blobDeletedMeanwhile = () =>
  new AppError(503, 'media_store_conflict', 'the same file was being deleted from the media store at that moment; send it again');

/** Deletes the tenant's blob unless a row names it (checked under the tenant's lock); failures are logged. */
async function dropUnnamedBlob(deps: Deps, tenantId: string, sha256: string): Promise<void> {
  try {
    await deps.db.kysely.transaction().execute(async (trx) => {
      await lockTenant(trx, deps.db.dialect, tenantId);
      if (!(await repo.blobReferenced(trx, tenantId, sha256))) await deps.media.delete(blobKey(tenantId, sha256));
    });
  } catch (err) {
    deps.logger.error({ err, tenantId, sha256 }, 'could not delete a media blob');
  }
}

/**
 * Stores a media file a tenant sends: streams `source` to the store while hashing (SHA-256) and
 * counting it, checks its type, and keeps it content-addressed; answers the stored row.
 *
 * - more than `maxBytes`: 413 `media_too_large` (reading stops there);
 * - no bytes: 400 `media_empty`;
 * - bytes that are not `declaredMimeType`: 400 `media_type_mismatch` (types the sniffer cannot
 *   know, such as text/plain, pass as declared; without a declared type the sniffed one is used);
 * - bytes the tenant does not have yet that would take it past WUTS_MEDIA_QUOTA_BYTES_PER_TENANT:
 *   413 `media_quota_exceeded`;
 * - an invalid declared type: 400 `invalid_mime_type`.
 *
 * No authorization: callers are services that authorized their own action (uploadMedia:
 * `media.upload`; the message service: `messages.send`). `source` is consumed or destroyed.
 */
export async function ingestMedia(deps: Deps, tenantId: string, source: Readable, options: IngestOptions): Promise<MediaView> {
  if (options.declaredMimeType !== undefined && !parseMimeType(options.declaredMimeType)) {
    source.destroy();
    throw badRequest('the media type is not a valid type/subtype', 'invalid_mime_type');
  }
  const received = await receive(deps, source, options.maxBytes, options.declaredMimeType ?? 'application/octet-stream');
  let verdict: ReturnType<typeof judgeMediaType>;
  try {
    if (received.size === 0) throw badRequest('the media file is empty', 'media_empty');
    const sniffed = await fileTypeFromBuffer(received.head);
    verdict = judgeMediaType(options.declaredMimeType, sniffed?.mime, supportedMimeTypes);
    if (!verdict.ok) {
      throw badRequest(
        `the bytes are ${verdict.sniffed ?? 'not'} ${verdict.sniffed ? '' : 'recognisable as '}${parseMimeType(options.declaredMimeType!)!.essence}`.replace(
          /\s+/g,
          ' ',
        ),
        'media_type_mismatch',
      );
    }
  } catch (err) {
    await deps.media.delete(received.tempKey).catch(() => {});
    throw err;
  }
  const now = nowIso(deps.clock.now());
  const row: repo.NewMediaRow = {
    id: newId(),
    state: 'stored',
    sha256: received.sha256,
    size: received.size,
    mime_type: verdict.mimeType,
    filename: cleanFilename(options.filename),
    origin: options.origin,
    source_json: null,
    error: null,
    created_at: now,
    updated_at: now,
    expires_at: options.expiresAt ? nowIso(options.expiresAt) : null,
    message_id: null,
    next_attempt_at: null,
  };
  await keep(deps, tenantId, received, (trx) => repo.insertMediaFile(trx, tenantId, row));
  return toView({ ...row, tenant_id: tenantId, attempts: 0 });
}

function usable(deps: Deps, row: repo.MediaRow | undefined): row is repo.MediaRow {
  return row !== undefined && row.state === 'stored' && (row.expires_at === null || new Date(row.expires_at) > deps.clock.now());
}

/**
 * The tenant's stored media file, or undefined: another tenant's id, a pending or failed
 * download, and an expired upload id are all undefined (the API answers 404 to each).
 */
export async function findStoredMedia(deps: Deps, tenantId: string, id: string): Promise<MediaView | undefined> {
  const row = await repo.findMediaFile(deps.db.kysely, tenantId, id);
  return usable(deps, row) ? toView(row) : undefined;
}

/** Any media row of the tenant, pending and failed ones included (expired ones too, until the sweep). */
export async function findMediaRecord(deps: Deps, tenantId: string, id: string): Promise<MediaRecord | undefined> {
  const row = await repo.findMediaFile(deps.db.kysely, tenantId, id);
  return row ? toRecord(row) : undefined;
}

export interface OpenedMedia {
  media: MediaView;
  /** The bytes, or those of `range` (inclusive); the caller consumes or destroys it. */
  stream: Readable;
}

/**
 * Opens a stored media file of the tenant for reading, whole or a range (checked against its
 * size: a range outside it throws a RangeError). 404 for another tenant's id, a pending,
 * failed or expired one.
 */
export async function openMedia(deps: Deps, tenantId: string, id: string, range?: ByteRange): Promise<OpenedMedia> {
  const media = await findStoredMedia(deps, tenantId, id);
  if (!media) throw notFound('media');
  const object = await deps.media.get(blobKey(tenantId, media.sha256), range);
  if (!object) throw new Error(`media ${id}: its blob is missing from the store`);
  return { media, stream: countedAsMedia(object.stream) };
}

/**
 * A media row for bytes to come (received media, downloaded later): state `pending`, with
 * `source` (anything JSON: what the download needs) kept as `source_json`. Pass `db` to create
 * it inside the transaction that stores the message.
 */
export async function createPendingMedia(
  deps: Deps,
  tenantId: string,
  input: {
    mimeType: string;
    filename?: string | undefined;
    source?: unknown;
    expiresAt?: Date | null | undefined;
    /** the row's id, when the caller needs it first (the message's content names it) */
    id?: string | undefined;
    /** the received message the file belongs to; its download is due at once */
    messageId?: string | undefined;
  },
  db: Kysely<Database> = deps.db.kysely,
): Promise<{ id: string }> {
  const now = nowIso(deps.clock.now());
  const id = input.id ?? newId();
  await repo.insertMediaFile(db, tenantId, {
    id,
    state: 'pending',
    sha256: null,
    size: null,
    mime_type: parseMimeType(input.mimeType)?.full ?? 'application/octet-stream',
    filename: cleanFilename(input.filename),
    origin: 'inbound',
    source_json: input.source === undefined ? null : JSON.stringify(input.source),
    error: null,
    created_at: now,
    updated_at: now,
    expires_at: input.expiresAt ? nowIso(input.expiresAt) : null,
    message_id: input.messageId ?? null,
    next_attempt_at: input.messageId ? now : null,
  });
  return { id };
}

/**
 * Stores the downloaded bytes of a pending row and marks it `stored`. The bytes are hashed as
 * they stream; with `expectedSha256` (hex; WhatsApp's file hash of the decrypted bytes) another
 * hash throws 502 `media_hash_mismatch` and the row stays pending. Beyond `maxBytes`: 413
 * `media_too_large`; past the quota: 413 `media_quota_exceeded` (the row stays pending: the
 * caller decides with failPendingMedia whether to retry). The declared type is kept (WhatsApp
 * said it; the hash vouches for the bytes). 404 when the row is not pending (or not the tenant's).
 */
export async function completePendingMedia(
  deps: Deps,
  tenantId: string,
  id: string,
  source: Readable,
  options: {
    maxBytes: number;
    expectedSha256?: string | undefined;
    mimeType?: string | undefined;
    /** more writes that must commit with the row (what the file belongs to says it is stored) */
    alsoInTransaction?: ((trx: Kysely<Database>, stored: { sha256: string; size: number }) => Promise<void>) | undefined;
  },
): Promise<MediaView> {
  const pending = await repo.findMediaFile(deps.db.kysely, tenantId, id);
  if (!pending || pending.state !== 'pending') {
    source.destroy();
    throw notFound('pending media');
  }
  const mimeType = (options.mimeType !== undefined ? parseMimeType(options.mimeType)?.full : undefined) ?? pending.mime_type;
  const received = await receive(deps, source, options.maxBytes, mimeType);
  if (options.expectedSha256 !== undefined && options.expectedSha256.toLowerCase() !== received.sha256) {
    await deps.media.delete(received.tempKey).catch(() => {});
    throw mediaHashMismatch();
  }
  const now = nowIso(deps.clock.now());
  await keep(deps, tenantId, received, async (trx) => {
    if (!(await repo.completePending(trx, tenantId, id, { sha256: received.sha256, size: received.size, mime_type: mimeType, updated_at: now }))) {
      throw notFound('pending media');
    }
    await options.alsoInTransaction?.(trx, { sha256: received.sha256, size: received.size });
  });
  return toView({ ...pending, state: 'stored', sha256: received.sha256, size: received.size, mime_type: mimeType, updated_at: now });
}

/**
 * Records a failed download of a pending row: `retry` keeps it pending (attempts + 1, the error
 * kept) for another try, otherwise it becomes `failed` for good. False when it was not pending.
 */
export async function failPendingMedia(
  deps: Deps,
  tenantId: string,
  id: string,
  error: string,
  options: { retry: boolean; alsoInTransaction?: ((trx: Kysely<Database>) => Promise<void>) | undefined },
): Promise<boolean> {
  const change = { error: error.slice(0, 1000), retry: options.retry, updated_at: nowIso(deps.clock.now()) };
  const also = options.alsoInTransaction;
  if (!also) return repo.recordPendingFailure(deps.db.kysely, tenantId, id, change);
  return deps.db.kysely.transaction().execute(async (trx) => {
    if (!(await repo.recordPendingFailure(trx, tenantId, id, change))) return false;
    await also(trx);
    return true;
  });
}

/**
 * Deletes the tenant's media rows, then each blob no row names any more (checked again under
 * the tenant's lock, so a blob an upload is reusing at that moment stays). A failure to delete
 * a blob leaves it behind (no row names it) and is logged.
 */
export async function deleteMedia(deps: Deps, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const blobs = await repo.deleteMediaFiles(deps.db.kysely, tenantId, ids);
  for (const sha256 of blobs) await dropUnnamedBlob(deps, tenantId, sha256);
}

/**
 * Removes every media row and blob of a tenant (its deletion: `deleteTenant` calls it once the
 * tenant's rows are gone; calling it before works too).
 */
export async function deleteTenantMedia(deps: Deps, tenantId: string): Promise<void> {
  for (let ids = await repo.tenantMediaIds(deps.db.kysely, tenantId, 500); ids.length > 0; ids = await repo.tenantMediaIds(deps.db.kysely, tenantId, 500)) {
    await repo.deleteMediaFiles(deps.db.kysely, tenantId, ids);
  }
  await deps.media.deletePrefix(`tenants/${tenantId}/`);
}

/** Temporary objects of uploads cut off mid-way (a crash) are removed once this old. */
const TEMP_MAX_AGE_MS = 24 * 3_600_000;
const SWEEP_BATCH = 500;

/**
 * The media sweep: deletes expired upload ids, media older than WUTS_MEDIA_RETENTION_DAYS (0:
 * none), their blobs once unreferenced, and (`temporaries`) temporary objects a day old.
 * Answers how many rows went.
 */
export async function sweepMedia(deps: Deps, options: { temporaries?: boolean } = {}): Promise<number> {
  const now = deps.clock.now();
  let removed = 0;
  const drop = async (rows: { id: string; tenant_id: string }[]) => {
    const byTenant = new Map<string, string[]>();
    for (const r of rows) byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), r.id]);
    for (const [tenantId, ids] of byTenant) await deleteMedia(deps, tenantId, ids);
    removed += rows.length;
    return rows.length;
  };
  while ((await drop(await repo.expiredMedia(deps.db.kysely, nowIso(now), SWEEP_BATCH))) === SWEEP_BATCH);
  const days = deps.config.mediaRetentionDays;
  if (days > 0) {
    const cutoff = nowIso(new Date(now.getTime() - days * 86_400_000));
    while ((await drop(await repo.mediaCreatedBefore(deps.db.kysely, cutoff, SWEEP_BATCH))) === SWEEP_BATCH);
  }
  if (options.temporaries) await deps.media.deletePrefix('tmp/', { before: new Date(now.getTime() - TEMP_MAX_AGE_MS) });
  return removed;
}

/** A tenant user's upload (POST /media): `media.upload` (the roles that send messages); the id expires after WUTS_MEDIA_UPLOAD_TTL_HOURS. */
export async function uploadMedia(
  deps: Deps,
  actor: Actor,
  source: Readable,
  input: { declaredMimeType?: string | undefined; filename?: string | undefined },
): Promise<MediaView> {
  try {
    authorize(actor, 'media.upload');
  } catch (err) {
    source.destroy();
    throw err;
  }
  const user = tenantUserOf(actor, 'media files');
  return ingestMedia(deps, user.tenantId, source, {
    ...input,
    origin: 'upload',
    maxBytes: deps.config.mediaMaxUploadBytes,
    expiresAt: new Date(deps.clock.now().getTime() + deps.config.mediaUploadTtlHours * 3_600_000),
  });
}

/** A stored media file of the caller's tenant (`media.read`); 404 otherwise. */
export async function getMedia(deps: Deps, actor: Actor, id: string): Promise<{ media: MediaView; open(range?: ByteRange): Promise<Readable> }> {
  authorize(actor, 'media.read');
  const user = tenantUserOf(actor, 'media files');
  const media = await findStoredMedia(deps, user.tenantId, id);
  if (!media) throw notFound('media');
  return { media, open: async (range) => (await openMedia(deps, user.tenantId, id, range)).stream };
}
