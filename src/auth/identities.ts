import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { PgNotifications } from '../db/notifications.js';
import type { Database } from '../db/schema.js';
import { IdentityCache } from './identity-cache.js';
import { IdentitySync } from './identity-sync.js';
import type { TokenIdentityRow } from './token-repo.js';

/** Marks a change's transaction: call it inside, with the transaction, before it commits. */
export type AnnounceChange = (trx: Kysely<Database>) => Promise<void>;

/**
 * What a node keeps of who holds which token, and how it forgets it: at once in this process,
 * and on PostgreSQL on every node before the change answers (see IdentitySync). A node that
 * cannot be sure it heard every change (not listening, or its heartbeats late) reads the
 * database on every request and clears the cache once it can be sure again.
 */
export class Identities {
  private readonly cache: IdentityCache;
  private readonly sync: IdentitySync | undefined;
  /** Something may have been missed while the cache could not be trusted. */
  private suspect = false;

  constructor(config: Pick<Config, 'databaseUrl' | 'authCacheEntries' | 'authCacheMaxAgeMs' | 'authSyncTimeoutMs' | 'pgConnectTimeoutMs'>, logger: Logger) {
    this.cache = new IdentityCache(config.authCacheEntries, config.authCacheMaxAgeMs);
    if (config.databaseUrl && config.authCacheEntries > 0) {
      const notifications = new PgNotifications({ databaseUrl: config.databaseUrl, logger, connectTimeoutMs: config.pgConnectTimeoutMs });
      this.sync = new IdentitySync(
        notifications,
        config.authSyncTimeoutMs,
        logger,
        (tenantId) => this.cache.dropTenant(tenantId),
        () => this.cache.clear(),
      );
    }
  }

  /** Starts listening to the other nodes (PostgreSQL); idempotent. */
  start(): void {
    this.sync?.start();
  }

  async stop(): Promise<void> {
    await this.sync?.stop();
  }

  /** PostgreSQL: the server process of the listening connection, while it listens. */
  async listenerPid(): Promise<number | undefined> {
    return this.sync?.listenerPid();
  }

  /** Whether identities kept in memory are served now (tests wait for it). */
  serving(): boolean {
    return !this.sync || this.sync.trusted();
  }

  /** Read before a database lookup and given back to `remember`. */
  get epoch(): number {
    return this.cache.epoch;
  }

  lookup(tokenHash: string, now: number): TokenIdentityRow | undefined {
    if (!this.serving()) {
      this.suspect = true;
      return undefined;
    }
    if (this.suspect) {
      this.suspect = false;
      this.cache.clear();
      return undefined;
    }
    return this.cache.get(tokenHash, now);
  }

  remember(tokenHash: string, row: TokenIdentityRow, epoch: number, now: number): void {
    if (this.serving()) this.cache.store(tokenHash, row, epoch, now);
  }

  /**
   * Runs a change of a tenant's tokens, users or the tenant itself (`work` runs its transaction
   * and calls `announce` inside it). Once it committed, this node has dropped the tenant's
   * identities and (PostgreSQL) every other node has too, or the sync timeout has passed.
   */
  async change<T>(tenantId: string, work: (announce: AnnounceChange) => Promise<T>): Promise<T> {
    let announced: Awaited<ReturnType<IdentitySync['announce']>> | undefined;
    const announce: AnnounceChange = async (trx) => {
      if (!this.sync) return;
      announced?.cancel();
      announced = await this.sync.announce(trx as Kysely<unknown>, tenantId);
    };
    let result: T;
    try {
      result = await work(announce);
    } catch (err) {
      this.cache.dropTenant(tenantId);
      announced?.cancel();
      throw err;
    }
    this.cache.dropTenant(tenantId);
    await announced?.settled();
    return result;
  }
}
