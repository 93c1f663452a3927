import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';

type Handler = (payload: string) => void;

export interface NotificationsOptions {
  databaseUrl: string;
  logger: Logger;
  connectTimeoutMs?: number | undefined;
  /** First wait before reconnecting; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Quoted for LISTEN, which takes an identifier, not a parameter. */
function channelIdentifier(channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  return `"${channel}"`;
}

/**
 * PostgreSQL LISTEN/NOTIFY on a connection of its own, outside the pool (a pooled connection
 * would stop listening when returned). Reconnects with backoff; `listening` is true only while
 * every subscribed channel is listened to. Whoever relies on hearing every notification watches
 * `onListening`/`onLost`: what was sent while not listening is lost.
 */
export class PgNotifications {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly listeningHooks = new Set<() => void>();
  private readonly lostHooks = new Set<() => void>();
  private backoffMs: number;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;
  listening = false;

  constructor(private readonly options: NotificationsOptions) {
    this.backoffMs = options.initialBackoffMs ?? 100;
  }

  /** Connects (and keeps reconnecting) in the background. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  subscribe(channel: string, handler: Handler): () => void {
    channelIdentifier(channel);
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      if (this.client && this.listening) {
        this.client.query(`listen ${channelIdentifier(channel)}`).catch((err: unknown) => this.lose(err));
      }
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Called each time the connection listens (again), after LISTEN took effect. */
  onListening(hook: () => void): () => void {
    this.listeningHooks.add(hook);
    return () => this.listeningHooks.delete(hook);
  }

  /** Called each time a listening connection is lost. */
  onLost(hook: () => void): () => void {
    this.lostHooks.add(hook);
    return () => this.lostHooks.delete(hook);
  }

  /** Sends on the listening connection itself (a node's heartbeat proves this very connection works). */
  async notify(channel: string, payload: string): Promise<void> {
    const client = this.client;
    if (!client || !this.listening) throw new Error('not listening');
    await client.query('select pg_notify($1, $2)', [channel, payload]);
  }

  /** The server's process id of the listening connection (tests terminate it). */
  async backendPid(): Promise<number | undefined> {
    if (!this.client || !this.listening) return undefined;
    const res = await this.client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return res.rows[0]?.pid;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.setListening(false);
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: 'wuts-notifications',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(this.options.connectTimeoutMs ? { connectionTimeoutMillis: this.options.connectTimeoutMs } : {}),
    });
    this.client = client;
    client.on('error', (err) => this.lose(err, client));
    client.on('end', () => this.lose(new Error('connection ended'), client));
    client.on('notification', (msg) => {
      if (this.client !== client) return;
      for (const handler of this.handlers.get(msg.channel) ?? []) {
        try {
          handler(msg.payload ?? '');
        } catch (err) {
          this.options.logger.error({ err, channel: msg.channel }, 'a notification handler failed');
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`listen ${channelIdentifier(channel)}`);
    } catch (err) {
      this.lose(err, client);
      return;
    }
    if (this.client !== client || this.stopped) return;
    this.backoffMs = this.options.initialBackoffMs ?? 100;
    this.setListening(true);
  }

  private lose(err: unknown, client = this.client): void {
    if (client !== this.client || !client) return;
    this.client = undefined;
    this.setListening(false);
    client.end().catch(() => {});
    if (this.stopped) return;
    this.options.logger.warn({ err, retryInMs: this.backoffMs }, 'PostgreSQL notifications: connection lost; reconnecting');
    this.retry = setTimeout(() => void this.connect(), this.backoffMs);
    this.retry.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 5_000);
  }

  private setListening(value: boolean): void {
    if (this.listening === value) return;
    this.listening = value;
    for (const hook of value ? this.listeningHooks : this.lostHooks) hook();
  }
}

/** Inside a transaction: the notification is delivered when (and only if) it commits. */
export async function notifyOnCommit(trx: Kysely<unknown>, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
}
