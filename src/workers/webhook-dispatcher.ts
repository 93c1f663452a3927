import type { Logger } from 'pino';
import type { Db } from '../db/connect.js';
import type { EventBus } from '../events/bus.js';
import { envelopeJson } from '../events/envelope.js';
import { pruneEvents } from '../events/repo.js';
import type { SecretBox } from '../lib/secret-box.js';
import { claimDueRuns, queuedAfter, type ClaimedRun, type DueDelivery } from '../webhooks/claims-repo.js';
import type { WebhookPoster } from '../webhooks/deliver.js';
import { signedHeaders } from '../webhooks/signing.js';
import { WebhookCache, type CachedWebhook } from '../webhooks/webhook-cache.js';
import { DeliveryOutcomeWriter, type RunOutcome, type SentDelivery } from './webhook-outcomes.js';

export interface DispatcherOptions {
  db: Db;
  /** Opens the webhooks' sealed secrets. */
  secrets: SecretBox;
  bus: EventBus;
  logger: Logger;
  poster: WebhookPoster;
  /** The scheduling clock (injectable so tests can move time). Signatures use real time. */
  now?: () => Date;
  /** Wait before attempt n+1, in ms; the delivery fails after the last attempt. */
  scheduleMs: number[];
  jitter?: number;
  random?: () => number;
  concurrency: number;
  perWebhookConcurrency: number;
  timeoutMs: number;
  disableAfterMs: number;
  eventRetentionDays: number;
  pollIntervalMs?: number;
  /** Deliveries of one webhook and order key sent in one run at most (the claimed head and those queued behind it). */
  runLength?: number;
  /** How long a run may go on before it hands its key back (ms). */
  runTurnMs?: number;
}

const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
const LEASE_MARGIN_MS = 10_000;
const HOUSEKEEPING_EVERY_MS = 10 * 60_000;
/** Deliveries read with a claimed head, and read on each time a run has sent what it read. */
const RUN_READ = 64;
/**
 * A run sends this many deliveries at most, for this long at most, then writes their outcomes
 * and hands its key back, so that the other keys of its webhook get their turn and a crash
 * sends at most one run again.
 */
const RUN_LENGTH = 256;
const RUN_TURN_MS = 100;
/** How long a wake-up waits while runs are in flight. */
const BUSY_WAKE_MS = 10;
/** A run sends one more request only while the head's lease outlasts it by this much. */
const LEASE_ROOM_MS = 5_000;

/**
 * Claims due webhook deliveries and sends them, within the concurrency bounds. A claim takes the
 * heads of several webhooks and order keys at once, each with the deliveries queued behind it
 * (a run, sent in order); the outcomes are written in batches by the outcome writer.
 */
export class WebhookDispatcher {
  private readonly now: () => Date;
  /** The runs in flight, by their head's id; each ends once its outcomes are committed. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightPerWebhook = new Map<string, number>();
  /** `webhook|order key` of the runs in flight: this node never claims a key it is sending. */
  private readonly heldKeys = new Set<string>();
  private readonly webhooks: WebhookCache;
  private readonly outcomes: DeliveryOutcomeWriter;
  private unsubscribeChanges: (() => void) | undefined;
  private pumping = false;
  private pumpAgain = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastHousekeeping = 0;
  /** Aborted when a shutdown's grace period ends with deliveries still in flight. */
  private abandon = new AbortController();

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? (() => new Date());
    this.webhooks = new WebhookCache(o.db.kysely, o.secrets);
    this.outcomes = new DeliveryOutcomeWriter({
      db: o.db,
      logger: o.logger,
      now: this.now,
      disableAfterMs: o.disableAfterMs,
      onWebhookDisabled: (tenantId, id) => this.webhooks.invalidate(tenantId, id),
    });
    this.watchWebhookChanges();
  }

  /** The one place a webhook change reaches the dispatcher's memory (the event bus calls it). */
  invalidateWebhooks(tenantId: string, webhookId: string | null): void {
    this.webhooks.invalidate(tenantId, webhookId);
  }

  private watchWebhookChanges(): void {
    if (this.unsubscribeChanges) return;
    const changes = this.o.bus.onWebhooksChanged((tenantId, id) => this.invalidateWebhooks(tenantId, id));
    const missed = this.o.bus.onPeerSignalsMissed(() => this.webhooks.clear());
    this.unsubscribeChanges = () => {
      changes();
      missed();
    };
  }

  start(): void {
    this.stopped = false;
    this.watchWebhookChanges();
    this.abandon = new AbortController();
    this.unsubscribe = this.o.bus.subscribe(() => this.wake());
    this.timer = setInterval(() => void this.pump(), this.o.pollIntervalMs ?? 1000);
    this.timer.unref();
    void this.pump();
  }

  /**
   * Stops claiming, and waits for the requests in flight; at `deadline` (a Date.now() value) it
   * abandons those still open: aborted, nothing recorded, their lease runs out and the next
   * start (or another node) sends them again.
   */
  async stop(deadline?: number): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const idle = async (): Promise<true> => {
      // a claim under way adds its deliveries to inFlight when it returns
      while (this.pumping || this.inFlight.size > 0) {
        await Promise.allSettled([...this.inFlight.values()]);
        if (this.pumping) await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((r) => deadline !== undefined && (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))));
    const finished = await Promise.race([idle(), graceOver]);
    clearTimeout(timer);
    if (!finished) {
      this.o.logger.warn({ deliveries: [...this.inFlight.keys()] }, 'shutdown: webhook deliveries abandoned; they are sent again once their lease runs out');
      this.abandon.abort();
      await idle();
    }
    this.unsubscribeChanges?.();
    this.unsubscribeChanges = undefined;
  }

  /** For tests and tools: sends everything due now, and returns when nothing due is left. */
  async drain(maxRounds = 1000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const claimed = await this.claim();
      if (claimed === 0 && this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight.values()]);
    }
    throw new Error('drain did not settle');
  }

  /**
   * Events were committed. While runs are in flight the claim waits a little, so that a burst of
   * commits costs a few claims rather than one each (a run reads its own key's new deliveries).
   */
  private wake(): void {
    if (this.inFlight.size === 0) return void this.pump();
    this.wakeTimer ??= setTimeout(() => {
      this.wakeTimer = undefined;
      void this.pump();
    }, BUSY_WAKE_MS);
  }

  /** One claim fills the free slots; each finished run pumps again, so one claim per wake-up. */
  private async pump(): Promise<void> {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        if (!this.stopped) await this.claim();
      } while (this.pumpAgain && !this.stopped);
      await this.housekeeping();
    } catch (err) {
      this.o.logger.error({ err }, 'webhook dispatcher: claiming failed');
    } finally {
      this.pumping = false;
    }
  }

  private async claim(): Promise<number> {
    const room = this.o.concurrency - this.inFlight.size;
    if (room <= 0) return 0;
    const now = this.now();
    const runs = await claimDueRuns(this.o.db.kysely, this.o.db.dialect, {
      now: now.toISOString(),
      // Longer than any request may take; after a crash, the delivery is sent again when it ends.
      leaseUntil: new Date(now.getTime() + this.o.timeoutMs + LEASE_MARGIN_MS).toISOString(),
      limit: room,
      perRun: Math.min(RUN_READ, this.o.runLength ?? RUN_LENGTH),
      heldKeys: this.heldKeys,
      inFlightPerWebhook: this.inFlightPerWebhook,
      perWebhookLimit: this.o.perWebhookConcurrency,
    });
    for (const run of runs) {
      const key = `${run.head.webhook_id}|${run.head.order_key}`;
      this.heldKeys.add(key);
      this.inFlightPerWebhook.set(run.head.webhook_id, (this.inFlightPerWebhook.get(run.head.webhook_id) ?? 0) + 1);
      const work = this.sendRun(run)
        .then((outcome) => (outcome ? this.outcomes.submit(outcome) : undefined))
        .catch((err) => this.o.logger.error({ err, delivery: run.head.id }, 'webhook delivery failed unexpectedly'))
        .finally(() => {
          this.inFlight.delete(run.head.id);
          this.heldKeys.delete(key);
          const n = (this.inFlightPerWebhook.get(run.head.webhook_id) ?? 1) - 1;
          if (n <= 0) this.inFlightPerWebhook.delete(run.head.webhook_id);
          else this.inFlightPerWebhook.set(run.head.webhook_id, n);
          // Claims go in groups: a claim costs about the same for one run as for several.
          if (!this.stopped && (this.inFlight.size === 0 || this.o.concurrency - this.inFlight.size >= Math.max(1, this.o.concurrency >> 2))) void this.pump();
        });
      this.inFlight.set(run.head.id, work);
    }
    return runs.length;
  }

  /**
   * Sends a claimed head and then the deliveries queued behind it, one after the other, each only
   * once the previous one succeeded, while the head's lease leaves room for another request and
   * the run's turn lasts. Nothing is written until the run ends: a crash before its outcomes are
   * committed leaves them all to be sent again (at least once, in order).
   */
  private async sendRun(run: ClaimedRun): Promise<RunOutcome | undefined> {
    const sent: SentDelivery[] = [];
    const turnEnds = performance.now() + (this.o.runTurnMs ?? RUN_TURN_MS);
    const leaseEnds = Date.parse(run.lease_until);
    const maxLength = this.o.runLength ?? RUN_LENGTH;
    const queue = [run.head, ...run.followers];
    let hook: CachedWebhook | undefined = this.webhooks.fromClaim(run.webhook);
    for (let i = 0; i < maxLength; i++) {
      if (i > 0) {
        if (this.stopped || performance.now() > turnEnds) break;
        if (this.now().getTime() + this.o.timeoutMs + LEASE_ROOM_MS > leaseEnds) break;
        // Sent all it read: what was queued since is read on (the head's lease still holds the key).
        if (i === queue.length) queue.push(...(await queuedAfter(this.o.db.kysely, run.head, queue[i - 1]!.event_id, this.now().toISOString(), RUN_READ)));
        if (i === queue.length) break;
        hook = await this.webhooks.current(run.webhook.tenant_id, run.webhook.id);
      }
      if (!hook?.row.enabled) return { run, sent, release: sent.length === 0 };
      const outcome = await this.send(queue[i]!, hook);
      if (!outcome) break; // shutdown: abandoned, nothing recorded for it
      sent.push(outcome);
      if (outcome.status !== 'succeeded') break;
    }
    return sent.length > 0 ? { run, sent, release: false } : undefined;
  }

  /** One request; undefined when it was abandoned at shutdown. */
  private async send(d: DueDelivery, hook: CachedWebhook): Promise<SentDelivery | undefined> {
    const startedAt = this.now();
    const body = envelopeJson(d.event);
    const headers = signedHeaders(WebhookCache.signingSecrets(hook, startedAt.getTime()), d.event_id, Math.floor(Date.now() / 1000), body);
    const result = await this.o.poster.post(hook.row.url, body, headers, this.abandon.signal);
    if (this.abandon.signal.aborted) return undefined; // the lease, still held, makes it claimable again later
    const finishedAt = this.now();
    const attemptNumber = d.attempt_count + 1;
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.statusCode === 410;
    const error = ok ? null : (result.error ?? `receiver answered ${result.statusCode}`);
    const status = ok ? 'succeeded' : gone || attemptNumber >= this.o.scheduleMs.length ? 'failed' : 'pending';
    const nextAttemptAt = status === 'pending' ? new Date(finishedAt.getTime() + this.retryDelay(attemptNumber, result.retryAfterSeconds)).toISOString() : null;
    return { delivery: d, startedAt, finishedAt, result, status, nextAttemptAt, error, gone };
  }

  private retryDelay(attemptsMade: number, retryAfterSeconds: number | null): number {
    const planned = this.o.scheduleMs[attemptsMade] ?? 0;
    const jitter = this.o.jitter ?? 0.1;
    const random = this.o.random ?? Math.random;
    const jittered = planned * (1 - jitter + 2 * jitter * random());
    const asked = retryAfterSeconds === null ? 0 : Math.min(retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS);
    return Math.max(jittered, asked);
  }

  private async housekeeping(): Promise<void> {
    const now = this.now().getTime();
    if (now - this.lastHousekeeping < HOUSEKEEPING_EVERY_MS) return;
    this.lastHousekeeping = now;
    const cutoff = new Date(now - this.o.eventRetentionDays * 86_400_000).toISOString();
    const removed = await pruneEvents(this.o.db.kysely, cutoff, 5000);
    if (removed > 0) this.o.logger.info({ removed }, 'old events pruned');
  }
}
