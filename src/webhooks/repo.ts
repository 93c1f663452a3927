import { sql, type Kysely } from 'kysely';
import type { Database, DeliveriesTable, DeliveryAttemptsTable, WebhooksTable } from '../db/schema.js';
import { PreparedQuery } from '../db/prepared.js';

export type WebhookRow = WebhooksTable;
export type DeliveryRow = DeliveriesTable;
export type AttemptRow = DeliveryAttemptsTable;

export async function insertWebhook(db: Kysely<Database>, tenantId: string, row: Omit<WebhookRow, 'tenant_id'>): Promise<void> {
  await db
    .insertInto('webhooks')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

export async function findWebhook(db: Kysely<Database>, tenantId: string, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listWebhooks(db: Kysely<Database>, tenantId: string, opts: { afterId?: string | undefined; limit: number }): Promise<WebhookRow[]> {
  let q = db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId);
  if (opts.afterId) q = q.where('id', '>', opts.afterId);
  return q
    .orderBy('id')
    .limit(opts.limit + 1)
    .execute();
}

const enabledWebhooksQuery = new PreparedQuery(['tenantId'], (db, p) =>
  db.selectFrom('webhooks').select(['id', 'event_types_json', 'device_id']).where('tenant_id', '=', p.tenantId).where('enabled', '=', true),
);

export async function enabledWebhooks(db: Kysely<Database>, tenantId: string): Promise<Pick<WebhookRow, 'id' | 'event_types_json' | 'device_id'>[]> {
  return enabledWebhooksQuery.rows(db, { tenantId });
}

export async function countWebhooks(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateWebhook(db: Kysely<Database>, tenantId: string, id: string, set: Partial<Omit<WebhookRow, 'id' | 'tenant_id'>>): Promise<void> {
  await db.updateTable('webhooks').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteWebhook(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('webhooks').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function insertDeliveries(db: Kysely<Database>, tenantId: string, rows: Omit<DeliveryRow, 'tenant_id'>[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('deliveries')
    .values(rows.map((r) => ({ ...r, tenant_id: tenantId })))
    .execute();
}

export async function findDelivery(db: Kysely<Database>, tenantId: string, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export interface DeliveryWithType extends DeliveryRow {
  event_type: string;
}

export async function findDeliveryWithType(db: Kysely<Database>, tenantId: string, id: string): Promise<DeliveryWithType | undefined> {
  return db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select('e.type as event_type')
    .where('d.tenant_id', '=', tenantId)
    .where('d.id', '=', id)
    .executeTakeFirst();
}

/** Newest first. */
export async function listDeliveries(
  db: Kysely<Database>,
  tenantId: string,
  webhookId: string,
  opts: { beforeId?: string | undefined; limit: number; status?: string | undefined },
): Promise<DeliveryWithType[]> {
  let q = db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select('e.type as event_type')
    .where('d.tenant_id', '=', tenantId)
    .where('d.webhook_id', '=', webhookId);
  if (opts.beforeId) q = q.where('d.id', '<', opts.beforeId);
  if (opts.status) q = q.where('d.status', '=', opts.status as DeliveryRow['status']);
  return q
    .orderBy('d.id', 'desc')
    .limit(opts.limit + 1)
    .execute();
}

export type AttemptSummary = Pick<AttemptRow, 'delivery_id' | 'attempted_at' | 'status_code' | 'latency_ms' | 'error'>;

/** The latest attempts of each delivery, newest first (response bodies stay in the database). */
export async function attemptsOf(db: Kysely<Database>, tenantId: string, deliveryIds: string[], perDelivery: number): Promise<Map<string, AttemptSummary[]>> {
  const out = new Map<string, AttemptSummary[]>();
  if (deliveryIds.length === 0) return out;
  const ranked = db
    .selectFrom('delivery_attempts')
    .select(['delivery_id', 'attempted_at', 'status_code', 'latency_ms', 'error', 'id'])
    .select(sql<number>`row_number() over (partition by delivery_id order by id desc)`.as('n'))
    .where('tenant_id', '=', tenantId)
    .where('delivery_id', 'in', deliveryIds)
    .as('a');
  const rows = await db.selectFrom(ranked).selectAll().where('a.n', '<=', perDelivery).orderBy('a.id', 'desc').execute();
  for (const r of rows) {
    const list = out.get(r.delivery_id) ?? [];
    list.push(r);
    out.set(r.delivery_id, list);
  }
  return out;
}

export async function deliveryIdOfEvent(db: Kysely<Database>, tenantId: string, eventId: string, webhookId: string): Promise<string> {
  const row = await db
    .selectFrom('deliveries')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('event_id', '=', eventId)
    .where('webhook_id', '=', webhookId)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Webhooks filtered on a deleted device would receive nothing again: they are disabled, saying why. */
export async function disableWebhooksOfDevice(db: Kysely<Database>, tenantId: string, deviceId: string, now: string): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({ enabled: false, disabled_reason: 'its device was deleted', updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .execute();
}

/** Makes a delivery due again unless a dispatcher holds it right now. */
export async function requeueDelivery(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  set: Partial<Omit<DeliveryRow, 'id' | 'tenant_id'>>,
): Promise<boolean> {
  const res = await db
    .updateTable('deliveries')
    .set(set)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '!=', 'delivering')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Writes a claimed delivery's outcome only while the claim still holds (its lease not taken over). */
export async function finishClaimedDelivery(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  leaseUntil: string,
  set: Partial<Omit<DeliveryRow, 'id' | 'tenant_id'>>,
): Promise<boolean> {
  const res = await db
    .updateTable('deliveries')
    .set(set)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'delivering')
    .where('lease_until', '=', leaseUntil)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function insertAttempt(db: Kysely<Database>, tenantId: string, row: Omit<AttemptRow, 'tenant_id'>): Promise<void> {
  await db
    .insertInto('delivery_attempts')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}
