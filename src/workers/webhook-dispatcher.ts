import type { Logger } from 'pino';
import type { Db } from '../db/connect.js';
import type { EventBus } from '../events/bus.js';
import { toEnvelope } from '../events/envelope.js';
import { findEvent, pruneEvents } from '../events/repo.js';
import { newId } from '../lib/ids.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { WebhookPoster } from '../webhooks/deliver.js';
import { finishClaimedDelivery, findWebhook, insertAttempt, updateWebhook, type WebhookRow } from '../webhooks/repo.js';
import { openWebhookSecrets } from '../webhooks/secrets.js';
import { signedHeaders } from '../webhooks/signing.js';
import { claimDueDeliveries, type ClaimedDelivery } from '../webhooks/claims-repo.js';

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
}

const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
const LEASE_MARGIN_MS = 10_000;
const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

/** Claims due webhook deliveries and sends them, within the concurrency bounds. */
export class WebhookDispatcher {
  private readonly now: () => Date;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightPerWebhook = new Map<string, number>();
  private pumping = false;
  private pumpAgain = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastHousekeeping = 0;
  /** Aborted when a shutdown's grace period ends with deliveries still in flight. */
  private abandon = new AbortController();

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.abandon = new AbortController();
    this.unsubscribe = this.o.bus.subscribe(() => void this.pump());
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
    if (finished) return;
    this.o.logger.warn({ deliveries: [...this.inFlight.keys()] }, 'shutdown: webhook deliveries abandoned; they are sent again once their lease runs out');
    this.abandon.abort();
    await idle();
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

  /** One claim fills the free slots; each finished delivery pumps again, so one claim per wake-up. */
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
    const claimed = await claimDueDeliveries(this.o.db.kysely, this.o.db.dialect, {
      now: now.toISOString(),
      // Longer than any request may take; after a crash, the delivery is sent again when it ends.
      leaseUntil: new Date(now.getTime() + this.o.timeoutMs + LEASE_MARGIN_MS).toISOString(),
      limit: room,
      inFlightPerWebhook: this.inFlightPerWebhook,
      perWebhookLimit: this.o.perWebhookConcurrency,
    });
    for (const c of claimed) {
      this.inFlightPerWebhook.set(c.webhook_id, (this.inFlightPerWebhook.get(c.webhook_id) ?? 0) + 1);
      const work = this.deliver(c)
        .catch((err) => this.o.logger.error({ err, delivery: c.id }, 'webhook delivery failed unexpectedly'))
        .finally(() => {
          this.inFlight.delete(c.id);
          const n = (this.inFlightPerWebhook.get(c.webhook_id) ?? 1) - 1;
          if (n <= 0) this.inFlightPerWebhook.delete(c.webhook_id);
          else this.inFlightPerWebhook.set(c.webhook_id, n);
          if (!this.stopped) void this.pump();
        });
      this.inFlight.set(c.id, work);
    }
    return claimed.length;
  }

  private async deliver(c: ClaimedDelivery): Promise<void> {
    const db = this.o.db.kysely;
    const [hook, event] = await Promise.all([findWebhook(db, c.tenant_id, c.webhook_id), findEvent(db, c.tenant_id, c.event_id)]);
    if (!hook || !event) return; // deleted meanwhile: the delivery row went with it
    const startedAt = this.now();
    const body = JSON.stringify(toEnvelope(event));
    const headers = signedHeaders(this.signingSecrets(hook, startedAt), event.id, Math.floor(Date.now() / 1000), body);
    const result = await this.o.poster.post(hook.url, body, headers, this.abandon.signal);
    if (this.abandon.signal.aborted) return; // shutdown: the lease, still held, makes it claimable again later
    const finishedAt = this.now();
    const attemptNumber = c.attempt_count + 1;
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.statusCode === 410;
    const error = ok ? null : (result.error ?? `receiver answered ${result.statusCode}`);

    const failingSince = hook.failing_since ?? startedAt.toISOString();
    let disable: string | null = null;
    if (gone) disable = 'the receiver answered 410 Gone';
    else if (!ok && finishedAt.getTime() - Date.parse(failingSince) >= this.o.disableAfterMs) {
      disable = `no successful delivery since ${failingSince}; last error: ${error}`;
    }
    const base = {
      attempt_count: attemptNumber,
      last_status_code: result.statusCode,
      last_error: error,
      lease_until: null,
      updated_at: finishedAt.toISOString(),
    };
    const outcome = ok
      ? { ...base, status: 'succeeded' as const }
      : gone || attemptNumber >= this.o.scheduleMs.length
        ? { ...base, status: 'failed' as const }
        : {
            ...base,
            status: 'pending' as const,
            next_attempt_at: new Date(finishedAt.getTime() + this.retryDelay(attemptNumber, result.retryAfterSeconds)).toISOString(),
          };

    await db.transaction().execute(async (trx) => {
      if (!(await finishClaimedDelivery(trx, c.tenant_id, c.id, c.lease_until, outcome))) {
        this.o.logger.warn({ delivery: c.id }, 'webhook delivery outlived its lease; another attempt owns it now');
        return;
      }
      await insertAttempt(trx, c.tenant_id, {
        id: newId(),
        delivery_id: c.id,
        attempted_at: startedAt.toISOString(),
        status_code: result.statusCode,
        latency_ms: result.latencyMs,
        error,
        response_body: result.responseBody,
      });
      await updateWebhook(
        trx,
        c.tenant_id,
        hook.id,
        ok
          ? { last_success_at: finishedAt.toISOString(), failing_since: null }
          : { failing_since: failingSince, ...(disable ? { enabled: false, disabled_reason: disable, updated_at: finishedAt.toISOString() } : {}) },
      );
    });
  }

  /** The current secret, and the previous one while its grace period lasts. */
  private signingSecrets(hook: WebhookRow, now: Date): string[] {
    const open = openWebhookSecrets(this.o.secrets, hook);
    const secrets = [open.secret];
    if (open.previousSecret && hook.previous_secret_expires_at && Date.parse(hook.previous_secret_expires_at) > now.getTime()) {
      secrets.push(open.previousSecret);
    }
    return secrets;
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
