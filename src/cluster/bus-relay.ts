import type { Logger } from 'pino';
import { PgNotifications } from '../db/notifications.js';
import type { BusSignals, EventBus } from '../events/bus.js';
import { decodeSignals, encodeSignals, MAX_PAYLOAD_BYTES, type ReceivedSignals } from './bus-payload.js';

export const BUS_CHANNEL = 'wuts_bus';

/** At most one warning of each kind this often; the others are counted into the next one. */
const WARN_EVERY_MS = 30_000;

export interface BusRelayOptions {
  databaseUrl: string;
  /** This node's id: its own notifications are recognised by it and ignored. */
  nodeId: string;
  logger: Logger;
  connectTimeoutMs?: number | undefined;
}

/**
 * Relays the event bus's signals between the nodes sharing a PostgreSQL database, so that a
 * message queued, an event committed or a webhook changed on one node wakes (or invalidates)
 * the others at once instead of at their next poll. Signals are collected during one turn of
 * the event loop and published together (split under PostgreSQL's payload limit), one NOTIFY
 * at a time: callers never wait, and a burst of thousands of wakes costs a few notifications.
 * What is heard from another node is emitted on this node's bus only, never relayed again.
 *
 * Publishing goes through the listening connection rather than the pool: the pool is what
 * requests wait for under load, and a wake queued behind them would arrive late and take a
 * slot from them. While that connection is down nothing is published nor heard; polling, which
 * every consumer keeps, covers the gap, and the caches are dropped when it listens again.
 */
export class BusRelay implements BusSignals {
  private notifications: PgNotifications;
  private events = false;
  private media = false;
  private readonly senders = new Set<string>();
  private readonly paces = new Set<string>();
  private readonly webhooks = new Map<string, readonly [string, string | null]>();
  private stopped = false;
  private scheduled = false;
  private publishing = false;
  private running = false;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly warnings = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly bus: EventBus,
    private readonly options: BusRelayOptions,
  ) {
    this.notifications = this.connection();
  }

  /** Whether signals are relayed now (the listening connection is up). */
  get listening(): boolean {
    return this.notifications.listening;
  }

  /** Starts listening (in the background, reconnecting) and relaying this node's signals; again after a stop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.stopped) this.notifications = this.connection();
    this.stopped = false;
    this.unsubscribe.push(
      this.notifications.subscribe(BUS_CHANNEL, (payload) => this.receive(payload)),
      // signals sent while this node was not listening are lost: what it keeps from the database may be stale
      this.notifications.onListening(() => this.bus.peerSignalsMissed()),
      this.bus.relayTo(this),
    );
    this.notifications.start();
  }

  /** Stops relaying; what was collected and not yet published is dropped (the others poll). */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.clear();
    await this.notifications.stop();
  }

  /** The server's process id of the listening connection (tests terminate it); undefined while it is down. */
  backendPid(): Promise<number | undefined> {
    return this.notifications.backendPid().catch(() => undefined);
  }

  notify(): void {
    this.events = true;
    this.schedule();
  }

  wakeMediaDownloads(): void {
    this.media = true;
    this.schedule();
  }

  wakeSender(deviceId: string): void {
    this.senders.add(deviceId);
    this.schedule();
  }

  sendPaceChanged(deviceId: string): void {
    this.paces.add(deviceId);
    this.schedule();
  }

  webhooksChanged(tenantId: string, webhookId: string | null): void {
    this.webhooks.set(`${tenantId}/${webhookId ?? '*'}`, [tenantId, webhookId]);
    this.schedule();
  }

  private connection(): PgNotifications {
    const { databaseUrl, logger, connectTimeoutMs } = this.options;
    return new PgNotifications({ databaseUrl, logger, connectTimeoutMs });
  }

  private schedule(): void {
    if (this.scheduled || this.publishing) return;
    this.scheduled = true;
    setImmediate(() => void this.publish());
  }

  private async publish(): Promise<void> {
    this.scheduled = false;
    if (!this.running) return;
    if (!this.notifications.listening) {
      // the connection's loss is logged by PgNotifications; the others poll meanwhile
      this.clear();
      return;
    }
    const payloads = encodeSignals(
      this.options.nodeId,
      { events: this.events, media: this.media, senders: this.senders, paces: this.paces, webhooks: this.webhooks.values() },
      MAX_PAYLOAD_BYTES,
      (item) => this.warn('too-large', { item: item.slice(0, 100) }, 'bus relay: a signal too large for a notification was not relayed'),
    );
    this.clear();
    this.publishing = true;
    try {
      for (const payload of payloads) await this.notifications.notify(BUS_CHANNEL, payload);
    } catch (err) {
      this.warn('publish', { err }, 'bus relay: publishing failed; the other nodes find the changes by polling');
    } finally {
      this.publishing = false;
    }
    // what was collected while publishing goes in the next notification
    if (this.hasPending()) this.schedule();
  }

  private receive(payload: string): void {
    const signals = decodeSignals(payload);
    if ('error' in signals) {
      this.warn('unreadable', { reason: signals.error, payload: payload.slice(0, 200) }, 'bus relay: an unreadable notification was ignored');
      return;
    }
    if (signals.nodeId === this.options.nodeId) return;
    this.emitLocally(signals);
  }

  /** Invalidations before wakes: what a wake makes read is read fresh. */
  private emitLocally(signals: ReceivedSignals): void {
    const local = this.bus.local;
    for (const deviceId of signals.paces) local.sendPaceChanged(deviceId);
    for (const [tenantId, webhookId] of signals.webhooks) local.webhooksChanged(tenantId, webhookId);
    for (const deviceId of signals.senders) local.wakeSender(deviceId);
    if (signals.events) local.notify();
    if (signals.media) local.wakeMediaDownloads();
  }

  private hasPending(): boolean {
    return this.events || this.media || this.senders.size > 0 || this.paces.size > 0 || this.webhooks.size > 0;
  }

  private clear(): void {
    this.events = false;
    this.media = false;
    this.senders.clear();
    this.paces.clear();
    this.webhooks.clear();
  }

  private warn(kind: string, fields: object, message: string): void {
    const now = Date.now();
    const last = this.warnings.get(kind);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.warnings.set(kind, { at: now, suppressed: 0 });
    this.options.logger.warn({ ...fields, ...(last?.suppressed ? { suppressed: last.suppressed } : {}) }, message);
  }
}
