import type { TokenIdentityRow } from './token-repo.js';

interface Entry {
  row: TokenIdentityRow;
  storedAt: number;
}

/**
 * Token identities by token hash: a least-recently-used map with a bound on entries and on age.
 * `epoch` moves on every drop, so a database read that started before a change cannot store
 * what it read after the change was applied (`store` with the epoch seen before the read).
 */
export class IdentityCache {
  private readonly entries = new Map<string, Entry>();
  private epochValue = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  get epoch(): number {
    return this.epochValue;
  }

  get size(): number {
    return this.entries.size;
  }

  get(tokenHash: string, now: number): TokenIdentityRow | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (now - entry.storedAt >= this.maxAgeMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, entry);
    return entry.row;
  }

  /** Keeps `row` unless something was dropped since `epoch` was read. */
  store(tokenHash: string, row: TokenIdentityRow, epoch: number, now: number): void {
    if (this.maxEntries === 0 || epoch !== this.epochValue) return;
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { row, storedAt: now });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  dropTenant(tenantId: string): void {
    this.epochValue++;
    for (const [hash, entry] of this.entries) if (entry.row.tenant_id === tenantId) this.entries.delete(hash);
  }

  clear(): void {
    this.epochValue++;
    this.entries.clear();
  }
}
