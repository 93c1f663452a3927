import type { Readable } from 'node:stream';

/** Bytes `start` to `end` of an object, both included (as in an HTTP `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/** An object read from the store: its bytes (the whole object, or the range asked for) and its whole size. */
export interface StoredObject {
  stream: Readable;
  /** The size of the whole object, in bytes (also when a range was read). */
  size: number;
}

/**
 * Where media bytes live: a flat key space of immutable objects, streamed in and out (an object
 * is never held whole in memory). Keys are `/`-separated segments of letters, digits, `.`, `_`
 * and `-` (none empty, none starting with a dot); the media service uses `tenants/<tenant id>/<sha256>`
 * for stored blobs and `tmp/<uuid>` for uploads in flight.
 *
 * Two implementations: the local filesystem under `WUTS_DATA_DIR/media` (`fs-store.ts`) and
 * any S3-compatible service (`s3-store.ts`), chosen by `WUTS_MEDIA_STORE` (`open-store.ts`).
 * Only `src/media/` uses a store directly: other code goes through the media service.
 */
export interface MediaStore {
  readonly kind: 'fs' | 's3';
  /**
   * Writes the object (replacing one at the key: putting the same bytes twice is harmless) from
   * `source`, which is read to its end. The object becomes visible whole or not at all. If
   * `source` fails (or is destroyed) the put rejects with its error and nothing is left at `key`.
   */
  put(key: string, source: Readable, options: { contentType: string }): Promise<{ size: number }>;
  /**
   * The object's bytes, or undefined when there is no object at `key`. With a range, the stream
   * yields bytes `start..end` (inclusive); the range must lie inside the object (the caller
   * checks it against the size it knows), else a `RangeError` is thrown. The caller must consume
   * or destroy the stream.
   */
  get(key: string, range?: ByteRange): Promise<StoredObject | undefined>;
  /** The object's size, or undefined when there is none. */
  head(key: string): Promise<{ size: number } | undefined>;
  /**
   * Moves an object to another key (replacing what is there); the source is gone afterwards.
   * Rejects with a `MediaObjectMissingError` when there is nothing at `from`.
   */
  move(from: string, to: string): Promise<void>;
  /** Removes the object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes the objects under `prefix` (a key prefix ending in `/`), only those last written
   * before `before` when it is given; answers how many. Deleting a tenant's media removes
   * `tenants/<id>/`; the media sweep removes uploads abandoned mid-way (`tmp/`, a day old).
   */
  deletePrefix(prefix: string, options?: { before?: Date }): Promise<number>;
  /** Releases connections and handles; the store is not used afterwards. */
  close(): Promise<void>;
}

export class MediaObjectMissingError extends Error {
  constructor(readonly key: string) {
    super(`no media object at ${key}`);
  }
}

// A segment never starts with a dot: the filesystem store keeps its own files under dot names.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Refuses a key that could leave the store's space (`..`, absolute paths, odd characters). */
export function checkKey(key: string): string {
  const segments = key.split('/');
  if (key.length > 512 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new Error(`invalid media store key: ${JSON.stringify(key)}`);
  }
  return key;
}

export function checkRange(range: ByteRange, size: number): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start || range.end >= size) {
    throw new RangeError(`range ${range.start}-${range.end} is outside an object of ${size} bytes`);
  }
}
