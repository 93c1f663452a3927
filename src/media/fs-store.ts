import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkKey, checkRange, MediaObjectMissingError, type ByteRange, type MediaStore, type StoredObject } from './store.js';

/** Files being written; renamed into place once whole. */
const INCOMING = '.incoming';
/** A file left in `.incoming` by a crash is removed at the next start once this old. */
const STALE_INCOMING_MS = 24 * 3_600_000;

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Makes a rename or an unlink in `dir` durable (a no-op where directories cannot be opened). */
async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself was synced.
  } finally {
    await handle?.close();
  }
}

/**
 * Renames `source` to `target`, creating the target's directory; a delete emptying (and removing)
 * that directory at the same moment only costs another try.
 */
async function renameInto(source: string, target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // another put or delete may remove an emptied parent meanwhile (removeEmptyParents), even
      // while this mkdir creates the chain: both steps are tried again
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await fsp.rename(source, target);
      return;
    } catch (err) {
      if (!isErrno(err, 'ENOENT') || attempt >= 5 || !fs.existsSync(source)) throw err;
    }
  }
}

/**
 * The media store on the local filesystem: one file per key under `root` (WUTS_DATA_DIR/media),
 * mode 0600. A put streams into `.incoming/`, fsyncs the file, renames it into place and fsyncs
 * the directory: a crash leaves either the old object or the new one, never half of one.
 */
export class FsMediaStore implements MediaStore {
  readonly kind = 'fs' as const;

  private constructor(private readonly root: string) {}

  /** Opens (creating) the store at `root` and removes the partial files a crash left. */
  static async open(root: string): Promise<FsMediaStore> {
    const incoming = path.join(root, INCOMING);
    await fsp.mkdir(incoming, { recursive: true, mode: 0o700 });
    const cutoff = Date.now() - STALE_INCOMING_MS;
    for (const name of await fsp.readdir(incoming)) {
      const file = path.join(incoming, name);
      const stat = await fsp.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff) await fsp.rm(file, { force: true });
    }
    return new FsMediaStore(root);
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, source: Readable, _options: { contentType: string }): Promise<{ size: number }> {
    const target = this.file(key);
    const temp = path.join(this.root, INCOMING, randomUUID());
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            yield chunk;
          }
        },
        fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
      );
      const handle = await fsp.open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await renameInto(temp, target);
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
    await syncDir(path.dirname(target));
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.file(key), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      // The open handle reads the file even if it is deleted or replaced meanwhile.
      const { size } = await handle.stat();
      if (range) checkRange(range, size);
      const stream = handle.createReadStream(range ? { start: range.start, end: range.end } : {});
      return { stream, size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    try {
      const stat = await fsp.stat(this.file(key));
      return { size: stat.size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.file(from);
    const target = this.file(to);
    try {
      await renameInto(source, target);
    } catch (err) {
      if (isErrno(err, 'ENOENT') && !fs.existsSync(source)) throw new MediaObjectMissingError(from);
      throw err;
    }
    await syncDir(path.dirname(target));
    await this.removeEmptyParents(source);
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await fsp.rm(file, { force: true });
    await this.removeEmptyParents(file);
  }

  async deletePrefix(prefix: string, options: { before?: Date } = {}): Promise<number> {
    const before = options.before?.getTime() ?? Infinity;
    const dir = path.join(this.root, ...checkKey(prefix.replace(/\/$/, '')).split('/'));
    let removed = 0;
    const walk = async (d: string): Promise<void> => {
      const entries = await fsp.readdir(d, { withFileTypes: true }).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return [];
        throw err;
      });
      for (const entry of entries) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) await walk(p);
        else if (entry.isFile()) {
          const stat = await fsp.stat(p).catch(() => undefined);
          if (stat && stat.mtimeMs < before) {
            await fsp.rm(p, { force: true });
            removed++;
          }
        }
      }
    };
    await walk(dir);
    return removed;
  }

  /**
   * Directories emptied by a delete or a move go too; never the root nor its own directories
   * (`tmp/`, `tenants/`): every upload puts into and moves out of `tmp/`, and removing it each
   * time it empties made concurrent puts lose the race more often than their retries allow.
   */
  private async removeEmptyParents(file: string): Promise<void> {
    for (let dir = path.dirname(file); path.dirname(dir).startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        return; // not empty (or already gone): the parents are not empty either
      }
    }
  }

  async close(): Promise<void> {}
}
