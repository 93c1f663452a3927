import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';

const UNFINISHED = ['pending', 'delivering'] as const;

/**
 * The id of the oldest unfinished delivery of every webhook and order key. PostgreSQL has no
 * min() over uuid, so it takes DISTINCT ON; SQLite groups and joins back.
 */
function headIds(db: Kysely<Database>, dialect: DialectName) {
  if (dialect === 'postgres') {
    return db
      .selectFrom('deliveries')
      .distinctOn(['webhook_id', 'order_key'])
      .select('id')
      .where('status', 'in', UNFINISHED)
      .orderBy('webhook_id')
      .orderBy('order_key')
      .orderBy('event_id');
  }
  return db
    .selectFrom((eb) =>
      eb
        .selectFrom('deliveries')
        .select(['webhook_id', 'order_key'])
        .select((e) => e.fn.min('event_id').as('event_id'))
        .where('status', 'in', UNFINISHED)
        .groupBy(['webhook_id', 'order_key'])
        .as('h'),
    )
    .innerJoin('deliveries as hd', (join) =>
      join.onRef('hd.webhook_id', '=', 'h.webhook_id').onRef('hd.order_key', '=', 'h.order_key').onRef('hd.event_id', '=', 'h.event_id'),
    )
    .select('hd.id');
}

export interface ClaimedDelivery {
  /** The lease this claim holds; the outcome is written only while it still does. */
  lease_until: string;
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  attempt_count: number;
}

/**
 * Claims due deliveries for this node: pending ones whose time has come, and claimed ones
 * whose lease ran out (their node died). Only the head of each webhook and order key (its
 * oldest unfinished delivery) is a candidate, so receivers see each device's events in order
 * and a later event waits while an earlier one is retried. The heads come from one pass over
 * an index of the unfinished deliveries, whatever the number of finished ones.
 * PostgreSQL: `FOR UPDATE SKIP LOCKED` lets nodes claim side by side. SQLite: the single
 * connection makes the transaction exclusive.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  dialect: DialectName,
  opts: { now: string; leaseUntil: string; limit: number; inFlightPerWebhook: Map<string, number>; perWebhookLimit: number },
): Promise<ClaimedDelivery[]> {
  return db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(['d.id', 'd.tenant_id', 'd.webhook_id', 'd.event_id', 'd.attempt_count'])
      .where('d.id', 'in', headIds(trx, dialect))
      .where('w.enabled', '=', true)
      .where((eb) =>
        eb.or([
          eb.and([eb('d.status', '=', 'pending'), eb('d.next_attempt_at', '<=', opts.now)]),
          eb.and([eb('d.status', '=', 'delivering'), eb('d.lease_until', '<', opts.now)]),
        ]),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.event_id')
      .limit(opts.limit * 4);
    if (dialect === 'postgres') q = q.forUpdate(['d']).skipLocked();
    const candidates = await q.execute();

    const counts = new Map(opts.inFlightPerWebhook);
    const chosen: ClaimedDelivery[] = [];
    for (const c of candidates) {
      if (chosen.length >= opts.limit) break;
      const n = counts.get(c.webhook_id) ?? 0;
      if (n >= opts.perWebhookLimit) continue;
      counts.set(c.webhook_id, n + 1);
      chosen.push({ ...c, lease_until: opts.leaseUntil });
    }
    if (chosen.length > 0) {
      await trx
        .updateTable('deliveries')
        .set({ status: 'delivering', lease_until: opts.leaseUntil, updated_at: opts.now })
        .where(
          'id',
          'in',
          chosen.map((c) => c.id),
        )
        .execute();
    }
    return chosen;
  });
}
