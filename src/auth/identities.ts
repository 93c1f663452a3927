import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { PgNotifications } from '../db/notifications.js';
import type { Database } from '../db/schema.js';
import { IdentityCache } from './identity-cache.js';
import { IdentitySync, announceUnheard } from './identity-sync.js';
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
  /**
   * PostgreSQL: other nodes may change identities; what is kept is served only while in sync.
   * A node keeping nothing (WUTS_AUTH_CACHE_ENTRIES=0) still announces and acknowledges for the others.
   */
  private readonly multiNode: boolean;
  private sync: IdentitySync | undefined;
  /** Something may have been missed while the cache could not be trusted. */
  private suspect = false;

  constructor(
    private readonly config: Pick<Config, 'databaseUrl' | 'authCacheEntries' | 'authCacheMaxAgeMs' | 'authSyncTimeoutMs' | 'pgConnectTimeoutMs'>,
    private readonly logger: Logger,
  ) {
    this.cache = new IdentityCache(config.authCacheEntries, config.authCacheMaxAgeMs);
    this.multiNode = config.databaseUrl !== undefined;
  }

  /** Starts listening to the other nodes (PostgreSQL); again after a stop. */
  start(): void {
    if (!this.multiNode || this.sync) return;
    const { databaseUrl, pgConnectTimeoutMs, authSyncTimeoutMs } = this.config;
    const notifications = new PgNotifications({ databaseUrl: databaseUrl!, logger: this.logger, connectTimeoutMs: pgConnectTimeoutMs });
    this.sync = new IdentitySync(
      notifications,
      authSyncTimeoutMs,
      this.logger,
      (tenantId) => this.cache.dropTenant(tenantId),
      () => this.cache.clear(),
    );
    this.sync.start();
  }

  /** Stops listening: until started again, every request reads the database. */
  async stop(): Promise<void> {
    const sync = this.sync;
    this.sync = undefined;
    this.cache.clear();
    await sync?.stop();
  }

  /** PostgreSQL: the server process of the listening connection, while it listens. */
  async listenerPid(): Promise<number | undefined> {
    return this.sync?.listenerPid();
  }

  /** Whether identities kept in memory are served now (tests wait for it). */
  serving(): boolean {
    return !this.multiNode || (this.sync?.trusted() ?? false);
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
      if (!this.multiNode) return;
      announced?.cancel();
      const sql = trx as Kysely<unknown>;
      announced = this.sync ? await this.sync.announce(sql, tenantId) : await announceUnheard(sql, tenantId, this.config.authSyncTimeoutMs);
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
