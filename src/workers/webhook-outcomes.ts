import type { Logger } from 'pino';
import type { Db } from '../db/connect.js';
import type { DeliveriesTable, DeliveryAttemptsTable, WebhooksTable } from '../db/schema.js';
import { newId } from '../lib/ids.js';
import type { ClaimedRun, DueDelivery } from '../webhooks/claims-repo.js';
import type { PostResult } from '../webhooks/deliver.js';
import {
  failingSince,
  finishDelivery,
  insertAttempts,
  releaseClaimedHead,
  setWebhookDeliveryState,
  succeedClaimedHeads,
  succeedQueuedDeliveries,
} from '../webhooks/outcomes-repo.js';

/** One request of a run and what came of it. */
export interface SentDelivery {
  delivery: DueDelivery;
  startedAt: Date;
  finishedAt: Date;
  result: PostResult;
  status: 'succeeded' | 'pending' | 'failed';
  /** When a delivery left pending is tried again. */
  nextAttemptAt: string | null;
  error: string | null;
  /** The receiver answered 410 Gone: the webhook is disabled. */
  gone: boolean;
}

/** What a run did: its requests in order (the first is the claimed head), or, when it sent nothing, whether to put the head back. */
export interface RunOutcome {
  run: ClaimedRun;
  sent: SentDelivery[];
  /** Nothing was sent because the webhook was disabled or deleted: the head goes back to the queue untried. */
  release: boolean;
}

/** Outcomes written in one transaction at most. */
const MAX_BATCH = 256;

interface Waiting {
  outcome: RunOutcome;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Writes the outcomes of the dispatcher's runs in batches: whatever finished while the previous
 * batch was being written goes in the next transaction (group commit), so the cost of a
 * transaction is shared by every delivery that finished meanwhile. A run's outcomes are written
 * only while the lease of its head holds: a run whose head was taken over (its lease ran out, and
 * another node claimed it) records nothing, and the other node sends those deliveries again.
 */
export class DeliveryOutcomeWriter {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly o: {
      db: Db;
      logger: Logger;
      now: () => Date;
      disableAfterMs: number;
      onWebhookDisabled: (tenantId: string, webhookId: string) => void;
    },
  ) {}

  /** Resolves once the outcome is committed. */
  submit(outcome: RunOutcome): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ outcome, resolve, reject });
      if (!this.writing) void this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    this.writing = true;
    await new Promise((r) => setImmediate(r)); // outcomes submitted in the same turn share the batch
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.write(batch.map((w) => w.outcome));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.writing = false;
  }

  private async write(batch: RunOutcome[]): Promise<void> {
    const now = this.o.now().toISOString();
    const disabled: { tenantId: string; id: string }[] = [];
    await this.o.db.kysely.transaction().execute(async (trx) => {
      const owned: RunOutcome[] = [];
      const succeededHeads = new Map<string, RunOutcome[]>();
      for (const r of batch) {
        const head = r.sent[0];
        if (!head) {
          if (r.release) await releaseClaimedHead(trx, r.run.head.id, r.run.lease_until, now);
          continue;
        }
        if (head.status === 'succeeded') {
          const key = `${r.run.lease_until}|${head.result.statusCode}`;
          succeededHeads.set(key, [...(succeededHeads.get(key) ?? []), r]);
        } else if (await finishDelivery(trx, head.delivery.id, { leaseUntil: r.run.lease_until }, outcomeColumns(head))) owned.push(r);
        else this.lost(r);
      }
      for (const [, runs] of succeededHeads) {
        const first = runs[0]!;
        const ids = new Set(
          await succeedClaimedHeads(
            trx,
            runs.map((r) => r.run.head.id),
            first.run.lease_until,
            { statusCode: first.sent[0]!.result.statusCode!, now },
          ),
        );
        for (const r of runs)
          if (ids.has(r.run.head.id)) owned.push(r);
          else this.lost(r);
      }

      const succeededQueued = new Map<number, string[]>();
      for (const r of owned) {
        for (const s of r.sent.slice(1)) {
          if (s.status === 'succeeded') succeededQueued.set(s.result.statusCode!, [...(succeededQueued.get(s.result.statusCode!) ?? []), s.delivery.id]);
          else await finishDelivery(trx, s.delivery.id, 'queued', outcomeColumns(s));
        }
      }
      for (const [statusCode, ids] of succeededQueued) await succeedQueuedDeliveries(trx, ids, { statusCode, now });
      await insertAttempts(
        trx,
        owned.flatMap((r) => r.sent.map(attemptRow)),
      );

      const byWebhook = new Map<string, { tenantId: string; sent: SentDelivery[] }>();
      for (const r of owned) {
        const entry = byWebhook.get(r.run.webhook.id) ?? { tenantId: r.run.webhook.tenant_id, sent: [] };
        entry.sent.push(...r.sent);
        byWebhook.set(r.run.webhook.id, entry);
      }
      const failing = await failingSince(
        trx,
        [...byWebhook].filter(([, w]) => w.sent.some((s) => s.status !== 'succeeded')).map(([id]) => id),
      );
      for (const [id, w] of byWebhook) {
        const set = this.webhookState(failing.get(id) ?? null, w.sent);
        await setWebhookDeliveryState(trx, w.tenantId, id, set);
        if (set.enabled === false) disabled.push({ tenantId: w.tenantId, id });
      }
    });
    for (const d of disabled) this.o.onWebhookDisabled(d.tenantId, d.id);
  }

  /** The webhook's success and failure streak after these requests, and whether it is disabled. */
  private webhookState(failingBefore: string | null, sent: SentDelivery[]): Partial<WebhooksTable> {
    let failing = failingBefore;
    let lastSuccess: string | null = null;
    let disable: { reason: string; at: string } | null = null;
    for (const s of [...sent].sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime())) {
      if (s.status === 'succeeded') {
        failing = null;
        lastSuccess = s.finishedAt.toISOString();
        continue;
      }
      failing ??= s.startedAt.toISOString();
      if (s.gone) disable = { reason: 'the receiver answered 410 Gone', at: s.finishedAt.toISOString() };
      else if (s.finishedAt.getTime() - Date.parse(failing) >= this.o.disableAfterMs) {
        disable = { reason: `no successful delivery since ${failing}; last error: ${s.error}`, at: s.finishedAt.toISOString() };
      }
    }
    return {
      failing_since: failing,
      ...(lastSuccess ? { last_success_at: lastSuccess } : {}),
      ...(disable ? { enabled: false, disabled_reason: disable.reason, updated_at: disable.at } : {}),
    };
  }

  private lost(r: RunOutcome): void {
    this.o.logger.warn({ delivery: r.run.head.id }, 'webhook delivery outlived its lease; another attempt owns it now');
  }
}

function outcomeColumns(s: SentDelivery): Partial<DeliveriesTable> {
  return {
    status: s.status,
    attempt_count: s.delivery.attempt_count + 1,
    last_status_code: s.result.statusCode,
    last_error: s.error,
    lease_until: null,
    updated_at: s.finishedAt.toISOString(),
    ...(s.nextAttemptAt ? { next_attempt_at: s.nextAttemptAt } : {}),
  };
}

function attemptRow(s: SentDelivery): DeliveryAttemptsTable {
  return {
    id: newId(),
    tenant_id: s.delivery.tenant_id,
    delivery_id: s.delivery.id,
    attempted_at: s.startedAt.toISOString(),
    status_code: s.result.statusCode,
    latency_ms: s.result.latencyMs,
    error: s.error,
    response_body: s.result.responseBody,
  };
}
