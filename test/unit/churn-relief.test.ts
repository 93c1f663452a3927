import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { countedAsMedia, noteMediaBytes, RELIEF_EVERY_BYTES, RELIEF_EVERY_MS, relievedWhile } from '../../src/lib/churn-relief.js';

/** Young-generation collections that happen while `work` runs. */
async function minorGcsDuring(work: () => unknown): Promise<number> {
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) count++;
  });
  observer.observe({ entryTypes: ['gc'] });
  await work();
  await new Promise((r) => setTimeout(r, 20)); // gc entries are delivered asynchronously
  observer.disconnect();
  return count;
}

describe('media churn relief', () => {
  it('a young-generation collection runs each time RELIEF_EVERY_BYTES of media went by, not before', async () => {
    noteMediaBytes(RELIEF_EVERY_BYTES); // whatever was counted before this test: a collection, and the count starts at 0
    expect(await minorGcsDuring(() => noteMediaBytes(RELIEF_EVERY_BYTES - 1))).toBe(0);
    expect(await minorGcsDuring(() => noteMediaBytes(1))).toBeGreaterThanOrEqual(1);
  });

  it('a counted stream passes the bytes through unchanged, and collects as they go', async () => {
    const chunks = Array.from({ length: 6 }, (_, i) => Buffer.alloc(RELIEF_EVERY_BYTES / 2, i));
    let out: Buffer | undefined;
    const collections = await minorGcsDuring(async () => {
      out = await buffer(countedAsMedia(Readable.from(chunks)));
    });
    expect(out!.equals(Buffer.concat(chunks))).toBe(true);
    expect(collections).toBeGreaterThanOrEqual(2);
  });

  it("a counted stream's reader sees its source's error", async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
    await expect(buffer(countedAsMedia(failing))).rejects.toThrow('disk gone');
  });

  it('a transfer too big to meter is relieved on a timer while it runs, a small one not at all', async () => {
    const wait = (ms: number) => () => new Promise((r) => setTimeout(r, ms));
    expect(await minorGcsDuring(() => relievedWhile(RELIEF_EVERY_BYTES - 1, wait(RELIEF_EVERY_MS * 4)))).toBe(0);
    expect(await minorGcsDuring(() => relievedWhile(RELIEF_EVERY_BYTES, wait(RELIEF_EVERY_MS * 4)))).toBeGreaterThanOrEqual(2);
    await expect(relievedWhile(RELIEF_EVERY_BYTES, () => Promise.reject(new Error('upload refused')))).rejects.toThrow('upload refused');
  });
});
