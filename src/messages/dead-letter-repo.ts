import type { Kysely } from 'kysely';
import type { Database, InboundDeadLettersTable } from '../db/schema.js';

type Db = Kysely<Database>;

export type DeadLetterRow = InboundDeadLettersTable;

export async function insertDeadLetter(db: Db, row: DeadLetterRow): Promise<void> {
  await db.insertInto('inbound_dead_letters').values(row).execute();
}

/** Oldest first, keyset by id; all tenants unless one is named. */
export async function listDeadLetters(
  db: Db,
  filter: { tenantId?: string | undefined; afterId?: string | undefined },
  limit: number,
): Promise<DeadLetterRow[]> {
  let q = db.selectFrom('inbound_dead_letters').selectAll();
  if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
  if (filter.afterId) q = q.where('id', '>', filter.afterId);
  return q.orderBy('id').limit(limit).execute();
}

export async function findDeadLetter(db: Db, id: string): Promise<DeadLetterRow | undefined> {
  return db.selectFrom('inbound_dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteDeadLetter(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('inbound_dead_letters').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countDeadLetters(db: Db): Promise<number> {
  const row = await db
    .selectFrom('inbound_dead_letters')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
