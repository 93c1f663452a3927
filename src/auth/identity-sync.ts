import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { notifyOnCommit, type PgNotifications } from '../db/notifications.js';

export const IDENTITY_CHANNEL = 'wuts_identities';

type Message =
  | { k: 'beat'; n: string; b: string }
  | { k: 'drop'; n: string; c: string; t: string }
  | { k: 'ack'; n: string; c: string; to: string }
  | { k: 'bye'; n: string };

interface PendingChange {
  /** The peers to hear from: known once this node hears its own drop (null until then). */
  waitFor: Set<string> | null;
  acked: Set<string>;
  done: () => void;
}

/**
 * Keeps the nodes sharing a PostgreSQL database strict about dropped identities. The proof:
 * - A change notifies `drop` inside its transaction (delivered on commit, in commit order).
 *   After the commit the changing node answers only once every node it knows acknowledged
 *   (each drops the tenant's identities before acknowledging), or `timeoutMs` passed.
 * - A node serves from its cache only while it has heard, within `timeoutMs`, the echo of a
 *   heartbeat it sent itself: notifications arrive in commit order, so a drop committed
 *   before that heartbeat was sent has been applied. A node that has not applied a drop
 *   committed at t1 can thus serve from cache only until t1 + timeoutMs, before the changing
 *   node's timeout answer. Nodes known are those heard from within 3 heartbeats (every
 *   timeoutMs / 2) when the changing node hears its own drop; a node not known then either
 *   sent its last heartbeat too long ago to serve from cache, or started listening later
 *   (its cache was empty, and it trusts it only after its own first echo, behind the drop).
 * Every node must run with the same timeout.
 */
export class IdentitySync {
  readonly nodeId = randomUUID();
  private readonly peers = new Map<string, number>();
  private readonly beats = new Map<string, number>();
  private readonly pending = new Map<string, PendingChange>();
  private confirmedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly notifications: PgNotifications,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    /** Drops a tenant's identities (a change, here or on another node). */
    private readonly onDrop: (tenantId: string) => void,
    /** Forgets everything kept (the connection listens again: what was sent meanwhile is lost). */
    private readonly onReset: () => void,
  ) {}

  start(): void {
    this.unsubscribe.push(
      this.notifications.subscribe(IDENTITY_CHANNEL, (payload) => this.receive(payload)),
      this.notifications.onListening(() => {
        this.onReset();
        this.confirmedAt = -Infinity;
        this.beat();
      }),
      this.notifications.onLost(() => this.onReset()),
    );
    this.notifications.start();
    this.timer = setInterval(() => this.beat(), Math.max(50, Math.floor(this.timeoutMs / 2)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.notifications.listening) await this.send({ k: 'bye', n: this.nodeId });
    for (const off of this.unsubscribe) off();
    await this.notifications.stop();
  }

  listenerPid(): Promise<number | undefined> {
    return this.notifications.backendPid();
  }

  /** Whether identities kept in memory may be served now. */
  trusted(): boolean {
    return this.notifications.listening && performance.now() - this.confirmedAt <= this.timeoutMs;
  }

  /**
   * Inside the changing transaction: tells every node to drop the tenant's identities on commit.
   * Returns what waits (bounded) for their acknowledgements, and what forgets it on rollback.
   */
  async announce(trx: Kysely<unknown>, tenantId: string): Promise<{ settled(): Promise<void>; cancel(): void }> {
    const changeId = randomUUID();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    this.pending.set(changeId, { waitFor: null, acked: new Set(), done });
    await notifyOnCommit(trx, IDENTITY_CHANNEL, JSON.stringify({ k: 'drop', n: this.nodeId, c: changeId, t: tenantId } satisfies Message));
    const forget = () => this.pending.delete(changeId);
    return {
      settled: async () => {
        let timeout: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.timeoutMs)));
        await Promise.race([finished, timedOut]);
        clearTimeout(timeout);
        const change = this.pending.get(changeId);
        if (change && !this.isSettled(change)) {
          this.logger.warn(
            { tenantId, missing: change.waitFor ? [...change.waitFor].filter((n) => !change.acked.has(n)) : 'own' },
            'identity change: not every node acknowledged in time',
          );
        }
        forget();
      },
      cancel: forget,
    };
  }

  private isSettled(change: PendingChange): boolean {
    return change.waitFor !== null && [...change.waitFor].every((n) => change.acked.has(n));
  }

  private beat(): void {
    if (!this.notifications.listening) return;
    const id = randomUUID();
    const now = performance.now();
    this.beats.set(id, now);
    for (const [beatId, sentAt] of this.beats) if (now - sentAt > this.timeoutMs) this.beats.delete(beatId);
    void this.send({ k: 'beat', n: this.nodeId, b: id });
  }

  private async send(message: Message): Promise<void> {
    try {
      await this.notifications.notify(IDENTITY_CHANNEL, JSON.stringify(message));
    } catch (err) {
      this.logger.debug({ err, kind: message.k }, 'identity sync: could not notify');
    }
  }

  private receive(payload: string): void {
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    const own = message.n === this.nodeId;
    if (!own) {
      if (message.k === 'bye') this.peers.delete(message.n);
      else this.peers.set(message.n, performance.now());
    }
    switch (message.k) {
      case 'beat':
        if (own) this.confirmBeat(message.b);
        return;
      case 'drop':
        this.onDrop(message.t);
        if (own) this.ownDropHeard(message.c);
        else void this.send({ k: 'ack', n: this.nodeId, c: message.c, to: message.n });
        return;
      case 'ack':
        if (message.to === this.nodeId) this.acked(message.c, message.n);
        return;
      case 'bye':
        return;
    }
  }

  private confirmBeat(beatId: string): void {
    const sentAt = this.beats.get(beatId);
    if (sentAt === undefined) return;
    this.beats.delete(beatId);
    if (sentAt > this.confirmedAt) this.confirmedAt = sentAt;
  }

  private ownDropHeard(changeId: string): void {
    const change = this.pending.get(changeId);
    if (!change) return;
    const now = performance.now();
    const forgetAfter = 1.5 * this.timeoutMs; // 3 heartbeats
    change.waitFor = new Set();
    for (const [node, heardAt] of this.peers) {
      if (now - heardAt > forgetAfter) this.peers.delete(node);
      else change.waitFor.add(node);
    }
    if (this.isSettled(change)) change.done();
  }

  private acked(changeId: string, node: string): void {
    const change = this.pending.get(changeId);
    if (!change) return;
    change.acked.add(node);
    if (this.isSettled(change)) change.done();
  }
}

/**
 * A change on a node that does not listen (stopping): the others are told all the same, and
 * the change answers after the timeout, by which time every node has applied it or stopped
 * serving from memory.
 */
export async function announceUnheard(trx: Kysely<unknown>, tenantId: string, timeoutMs: number): Promise<{ settled(): Promise<void>; cancel(): void }> {
  await notifyOnCommit(trx, IDENTITY_CHANNEL, JSON.stringify({ k: 'drop', n: randomUUID(), c: randomUUID(), t: tenantId } satisfies Message));
  return { settled: () => new Promise((resolve) => setTimeout(resolve, timeoutMs)), cancel: () => {} };
}
