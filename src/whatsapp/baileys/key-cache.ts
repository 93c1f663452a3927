import type { CacheStore } from '@whiskeysockets/baileys';

/**
 * The in-memory cache in front of a session's Signal keys (makeCacheableSignalKeyStore).
 * Baileys' default cache starts an interval per instance that is never stopped, which would
 * keep every finished session's keys alive; this one is a plain bounded map (least recently
 * used out first) that the session drops when it ends.
 */
export class BoundedKeyCache implements CacheStore {
  private readonly entries = new Map<string, unknown>();

  constructor(private readonly maxEntries = 2_000) {}

  get<T>(key: string): T | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key);
    // refresh its place: Map keeps insertion order, the oldest goes first
    this.entries.delete(key);
    this.entries.set(key, value);
    return value as T;
  }

  set<T>(key: string, value: T): void {
    this.entries.delete(key);
    // A first login writes ~800 pre-keys, each read back at most once, when a contact starts a
    // session: caching them cost about 0.35 MB per device for nothing (bench/devices.ts).
    if (key.startsWith('pre-key.')) return;
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  del(key: string): void {
    this.entries.delete(key);
  }

  flushAll(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Signal keys a session read and did not find, so that asking again costs no query. A session
 * is the only writer of its device's keys, so a key leaves this set when it is written.
 */
export class KnownAbsentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly maxEntries = 2_000) {}

  has(type: string, id: string): boolean {
    return this.keys.has(`${type}.${id}`);
  }

  add(type: string, id: string): void {
    this.keys.add(`${type}.${id}`);
    if (this.keys.size > this.maxEntries) this.keys.delete(this.keys.values().next().value!);
  }

  delete(type: string, id: string): void {
    this.keys.delete(`${type}.${id}`);
  }

  clear(): void {
    this.keys.clear();
  }
}
