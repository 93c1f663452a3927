import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, DeliveriesTable, DeliveryAttemptsTable, WebhooksTable } from '../db/schema.js';

type DeliverySet = Partial<Omit<DeliveriesTable, 'id' | 'tenant_id'>>;

/** What a delivery that succeeded is set to. */
function succeeded(eb: ExpressionBuilder<Database, 'deliveries'>, o: { statusCode: number; now: string }) {
  return {
    status: 'succeeded' as const,
    attempt_count: eb('attempt_count', '+', 1),
    last_status_code: o.statusCode,
    last_error: null,
    updated_at: o.now,
  };
}

/**
 * Marks claimed heads succeeded, only those still held with `leaseUntil` (a lease taken over by
 * another node is not written); returns the ids written.
 */
export async function succeedClaimedHeads(db: Kysely<Database>, ids: string[], leaseUntil: string, o: { statusCode: number; now: string }): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('deliveries')
    .set((eb) => ({ ...succeeded(eb, o), lease_until: null }))
    .where('id', 'in', ids)
    .where('status', '=', 'delivering')
    .where('lease_until', '=', leaseUntil)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Marks deliveries that were queued behind a claimed head succeeded (never claimed themselves:
 * the head's lease kept every other claim off their key).
 */
export async function succeedQueuedDeliveries(db: Kysely<Database>, ids: string[], o: { statusCode: number; now: string }): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('deliveries')
    .set((eb) => succeeded(eb, o))
    .where('id', 'in', ids)
    .where('status', '=', 'pending')
    .execute();
}

/** Writes one delivery's outcome: a claimed head while its lease holds, a queued one while still pending. */
export async function finishDelivery(db: Kysely<Database>, id: string, held: { leaseUntil: string } | 'queued', set: DeliverySet): Promise<boolean> {
  let q = db.updateTable('deliveries').set(set).where('id', '=', id);
  q = held === 'queued' ? q.where('status', '=', 'pending') : q.where('status', '=', 'delivering').where('lease_until', '=', held.leaseUntil);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Puts a claimed head back in the queue, untried (its webhook was disabled or deleted before the send). */
export async function releaseClaimedHead(db: Kysely<Database>, id: string, leaseUntil: string, now: string): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({ status: 'pending', lease_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'delivering')
    .where('lease_until', '=', leaseUntil)
    .execute();
}

const ATTEMPTS_PER_INSERT = 200;

export async function insertAttempts(db: Kysely<Database>, rows: DeliveryAttemptsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ATTEMPTS_PER_INSERT) {
    await db
      .insertInto('delivery_attempts')
      .values(rows.slice(i, i + ATTEMPTS_PER_INSERT))
      .execute();
  }
}

/** When each webhook's current failure streak began (null: it is not failing). */
export async function failingSince(db: Kysely<Database>, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('webhooks').select(['id', 'failing_since']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.failing_since]));
}

export async function setWebhookDeliveryState(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  set: Partial<Pick<WebhooksTable, 'last_success_at' | 'failing_since' | 'enabled' | 'disabled_reason' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('webhooks').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
