import { pipeline, Transform, type Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';

type GcFunction = (options?: { type?: 'minor' | 'major' }) => void;

/** Media bytes moved between two young-generation collections. */
export const RELIEF_EVERY_BYTES = 4 * 1024 * 1024;
/** While a transfer WUTS cannot meter runs (Baileys' upload of an encrypted file), one every this many ms. */
export const RELIEF_EVERY_MS = 50;

let gc: GcFunction | null | undefined;
let movedSinceRelief = 0;

function youngGc(): GcFunction | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = (vm.runInNewContext('gc') as GcFunction | undefined) ?? null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/**
 * Counts media bytes streamed through the process and runs a young-generation collection
 * (about 2 ms) every RELIEF_EVERY_BYTES. A file moving through Baileys and the store leaves
 * its chunks behind as short-lived Buffers whose memory lives outside V8's heap: V8 sees only
 * their small wrappers and would let some 30 to 60 MiB of them pile up before it collects,
 * so RSS would grow with the transfer instead of staying flat.
 */
export function noteMediaBytes(count: number): void {
  movedSinceRelief += count;
  if (movedSinceRelief < RELIEF_EVERY_BYTES) return;
  movedSinceRelief = 0;
  youngGc()?.({ type: 'minor' });
}

/** `source` as it is read, its bytes counted by noteMediaBytes. */
export function countedAsMedia(source: Readable): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      noteMediaBytes(chunk.length);
      done(null, chunk);
    },
  });
  // an error on either side destroys the other: the reader sees the source's errors
  pipeline(source, counter, () => {});
  return counter;
}

/**
 * Runs `work`, a transfer of about `bytes` whose chunks WUTS does not see (Baileys encrypting a
 * file to a temporary one and uploading that), with a young-generation collection every
 * RELIEF_EVERY_MS while it lasts, when it is big enough to matter.
 */
export async function relievedWhile<T>(bytes: number, work: () => Promise<T>): Promise<T> {
  if (bytes < RELIEF_EVERY_BYTES || !youngGc()) return work();
  const timer = setInterval(() => youngGc()?.({ type: 'minor' }), RELIEF_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
