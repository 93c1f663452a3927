import type { Kysely } from 'kysely';
import type { Database, EventsTable } from '../db/schema.js';
import { PreparedQuery } from '../db/prepared.js';

export type EventRow = EventsTable;

const insertEventQuery = new PreparedQuery(['id', 'tenant_id', 'device_id', 'type', 'version', 'data_json', 'created_at'], (db, p) =>
  db.insertInto('events').values(p),
);

export async function insertEvent(db: Kysely<Database>, tenantId: string, row: Omit<EventRow, 'tenant_id'>): Promise<void> {
  await insertEventQuery.execute(db, { ...row, tenant_id: tenantId });
}

export async function findEvent(db: Kysely<Database>, tenantId: string, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** Events after `afterId`, oldest first, for the live stream. */
export async function listEventsAfter(db: Kysely<Database>, tenantId: string, opts: { afterId?: string | undefined; limit: number }): Promise<EventRow[]> {
  let q = db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId);
  if (opts.afterId) q = q.where('id', '>', opts.afterId);
  return q.orderBy('id').limit(opts.limit).execute();
}

export async function latestEventId(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('events').select('id').where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.id;
}

/** Platform housekeeping: events past retention whose deliveries are all finished. */
export async function pruneEvents(db: Kysely<Database>, olderThan: string, limit: number): Promise<number> {
  const ids = await db
    .selectFrom('events as e')
    .select('e.id')
    .where('e.created_at', '<', olderThan)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id').where('d.status', 'in', ['pending', 'delivering']))),
    )
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  await db
    .deleteFrom('events')
    .where(
      'id',
      'in',
      ids.map((r) => r.id),
    )
    .execute();
  return ids.length;
}
