import type { Kysely, Transaction } from 'kysely';
import { PreparedQuery } from '../db/prepared.js';
import type { Database } from '../db/schema.js';

export interface IdempotencyRow {
  request_hash: string;
  result_json: string;
}

const findKeyQuery = new PreparedQuery(['tenantId', 'key', 'keepSince'], (db, p) =>
  db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'result_json'])
    .where('tenant_id', '=', p.tenantId)
    .where('key', '=', p.key)
    .where('created_at', '>=', p.keepSince),
);

/** The key's record if it was made at or after `keepSince` (older ones count as gone). */
export async function findIdempotencyKey(db: Kysely<Database>, tenantId: string, key: string, keepSince: string): Promise<IdempotencyRow | undefined> {
  return findKeyQuery.first(db, { tenantId, key, keepSince });
}

const dropExpiredKeyQuery = new PreparedQuery(['tenantId', 'key', 'keepSince'], (db, p) =>
  db.deleteFrom('idempotency_keys').where('tenant_id', '=', p.tenantId).where('key', '=', p.key).where('created_at', '<', p.keepSince),
);
const insertKeyQuery = new PreparedQuery(['tenant_id', 'key', 'request_hash', 'result_json', 'created_at'], (db, p) =>
  db.insertInto('idempotency_keys').values(p),
);

/**
 * Records the key with its result. An expired record of the same key makes room first; a live
 * one makes the insert fail with a unique violation (a concurrent request won: replay it).
 */
export async function insertIdempotencyKey(
  trx: Transaction<Database>,
  tenantId: string,
  row: { key: string; request_hash: string; result_json: string; created_at: string },
  keepSince: string,
): Promise<void> {
  await dropExpiredKeyQuery.execute(trx, { tenantId, key: row.key, keepSince });
  await insertKeyQuery.execute(trx, { tenant_id: tenantId, ...row });
}

/** Forgets keys of every tenant made before `olderThan` (the sender's sweep). */
export async function purgeIdempotencyKeys(db: Kysely<Database>, olderThan: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
