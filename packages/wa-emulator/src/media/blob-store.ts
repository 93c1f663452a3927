import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Logger } from 'pino';

/** `enc`: encrypted blobs as clients uploaded them (what the media host serves); `plain`: what the phones decrypted or sent. */
export type BlobKind = 'enc' | 'plain';

const KINDS: readonly BlobKind[] = ['enc', 'plain'];
const KEY = /^[0-9a-f]{64}$/;

/** Refused by `put`: `too_large` (over its maxBytes) or `hash_mismatch` (not the SHA-256 it was announced as). */
export class BlobError extends Error {
  constructor(
    readonly code: 'too_large' | 'hash_mismatch',
    message: string,
  ) {
    super(message);
  }
}

export interface StoredBlob {
  size: number;
  /** the bytes, or those from `start` to `end` (inclusive) */
  read(start?: number, end?: number): Readable;
}

interface Entry {
  size: number;
  /** memory mode: the bytes */
  bytes?: Buffer;
}

/**
 * Content-addressed blobs, keyed by the hex SHA-256 of their bytes: in memory, or in a
 * directory (`enc/` and `plain/`, one file per blob, written to `tmp/` then renamed) that
 * survives a restart. Bytes stream in while they are hashed; nothing is kept whole in JS in
 * directory mode. At most `maxTotalBytes` together: past that the oldest blobs go (with a warning).
 */
export class BlobStore {
  private readonly entries = new Map<string, Entry>();
  private total = 0;

  private constructor(
    /** absent = in memory */
    readonly dir: string | undefined,
    readonly maxTotalBytes: number,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string | undefined, maxTotalBytes: number, logger: Logger): Promise<BlobStore> {
    const store = new BlobStore(dir, maxTotalBytes, logger);
    if (dir) await store.load(dir);
    return store;
  }

  get totalBytes(): number {
    return this.total;
  }

  has(kind: BlobKind, key: string): boolean {
    return this.entries.has(`${kind}/${key}`);
  }

  get(kind: BlobKind, key: string): StoredBlob | undefined {
    if (!KEY.test(key)) return undefined;
    const entry = this.entries.get(`${kind}/${key}`);
    if (!entry) return undefined;
    const path = this.dir ? join(this.dir, kind, key) : undefined;
    return {
      size: entry.size,
      read: (start = 0, end = entry.size - 1) => {
        if (end < start) return Readable.from([]);
        return entry.bytes ? Readable.from([entry.bytes.subarray(start, end + 1)]) : createReadStream(path!, { start, end });
      },
    };
  }

  /** Stores what `source` yields under its SHA-256 (hex), refusing more than `maxBytes` or, given `expectSha256`, other bytes. */
  async put(
    kind: BlobKind,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    opts: { maxBytes: number; expectSha256?: Buffer },
  ): Promise<{ key: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    const chunks: Buffer[] = [];
    const temp = this.dir ? join(this.dir, 'tmp', randomBytes(12).toString('hex')) : undefined;
    const out = temp ? createWriteStream(temp, { mode: 0o600 }) : undefined;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > opts.maxBytes) throw new BlobError('too_large', `more than ${opts.maxBytes} bytes`);
        const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        hash.update(buf);
        if (out) {
          if (!out.write(buf)) await new Promise<void>((resolve, reject) => out.once('drain', resolve).once('error', reject));
        } else chunks.push(Buffer.from(buf));
      }
      const digest = hash.digest();
      if (opts.expectSha256 && !digest.equals(opts.expectSha256)) throw new BlobError('hash_mismatch', 'the bytes do not have the SHA-256 announced');
      const key = digest.toString('hex');
      if (out) {
        out.end();
        await finished(out);
        await rename(temp!, join(this.dir!, kind, key));
      }
      this.add(`${kind}/${key}`, { size, ...(out ? {} : { bytes: Buffer.concat(chunks, size) }) });
      return { key, size };
    } catch (err) {
      if (out) {
        out.destroy();
        await unlink(temp!).catch(() => undefined);
      }
      throw err;
    }
  }

  delete(kind: BlobKind, key: string): boolean {
    const id = `${kind}/${key}`;
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.drop(id, entry);
    return true;
  }

  private add(id: string, entry: Entry): void {
    const old = this.entries.get(id);
    if (old) {
      this.entries.delete(id);
      this.total -= old.size;
    }
    this.entries.set(id, entry);
    this.total += entry.size;
    for (const [oldId, oldEntry] of this.entries) {
      if (this.total <= this.maxTotalBytes || oldId === id) break;
      this.logger.warn({ blob: oldId, size: oldEntry.size, maxTotalBytes: this.maxTotalBytes }, 'media store full: dropping its oldest blob');
      this.drop(oldId, oldEntry);
    }
  }

  private drop(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.total -= entry.size;
    if (this.dir) void unlink(join(this.dir, id)).catch(() => undefined);
  }

  /** Indexes the blobs left by an earlier run, oldest first; half-written temp files go. */
  private async load(dir: string): Promise<void> {
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
    const found: Array<{ id: string; size: number; at: number }> = [];
    for (const kind of KINDS) {
      await mkdir(join(dir, kind), { recursive: true, mode: 0o700 });
      for (const name of await readdir(join(dir, kind))) {
        if (!KEY.test(name)) continue;
        const info = await stat(join(dir, kind, name));
        found.push({ id: `${kind}/${name}`, size: info.size, at: info.mtimeMs });
      }
    }
    found.sort((a, b) => a.at - b.at);
    for (const f of found) this.add(f.id, { size: f.size });
  }
}
