import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';

export interface ClaimedDelivery {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  attempt_count: number;
}

/**
 * Claims due deliveries for this node: pending ones whose time has come, and claimed ones
 * whose lease ran out (their node died). A delivery waits while an earlier event of the same
 * webhook and order key is unfinished, so receivers see each device's events in order.
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
      .where('w.enabled', '=', true)
      .where((eb) =>
        eb.or([
          eb.and([eb('d.status', '=', 'pending'), eb('d.next_attempt_at', '<=', opts.now)]),
          eb.and([eb('d.status', '=', 'delivering'), eb('d.lease_until', '<', opts.now)]),
        ]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deliveries as e')
              .select('e.id')
              .whereRef('e.webhook_id', '=', 'd.webhook_id')
              .whereRef('e.order_key', '=', 'd.order_key')
              .whereRef('e.event_id', '<', 'd.event_id')
              .where('e.status', 'in', ['pending', 'delivering']),
          ),
        ),
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
      chosen.push(c);
    }
    if (chosen.length > 0) {
      await trx
        .updateTable('deliveries')
        .set({ status: 'delivering', lease_until: opts.leaseUntil, updated_at: opts.now })
        .where('id', 'in', chosen.map((c) => c.id))
        .execute();
    }
    return chosen;
  });
}
