import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { uniqueViolation } from '../db/errors.js';
import { badRequest, conflict } from '../lib/errors.js';
import { nowIso } from '../lib/time.js';
import { MESSAGE_LIMITS } from './limits.js';

export interface StoredAnswer {
  statusCode: number;
  body: unknown;
  /** true when this is the replay of an earlier request's answer */
  replayed: boolean;
}

export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || key.length === 0 || key.length > MESSAGE_LIMITS.idempotencyKeyChars || !/^[\x21-\x7e]+$/.test(key)) {
    throw badRequest(`Idempotency-Key must be 1 to ${MESSAGE_LIMITS.idempotencyKeyChars} visible ASCII characters`, 'invalid_idempotency_key');
  }
  return key;
}

/** What makes two requests "the same": the route and the body, canonically. */
export function requestHash(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

async function storedAnswer(db: Kysely<Database>, tenantId: string, key: string, hash: string, keepSince: string): Promise<StoredAnswer | undefined> {
  const row = await db.selectFrom('idempotency_keys').selectAll().where('tenant_id', '=', tenantId).where('key', '=', key).where('created_at', '>=', keepSince).executeTakeFirst();
  if (!row) return undefined;
  if (row.request_hash !== hash) throw conflict('this Idempotency-Key was used with a different request', 'idempotency_key_reused');
  return { statusCode: row.status_code, body: JSON.parse(row.response_json), replayed: true };
}

/**
 * Runs `create` once per key: the answer is stored in the same transaction as the work, so a
 * replay returns exactly the first answer; the same key with another request is a 409.
 */
export async function idempotent(
  db: Kysely<Database>,
  tenantId: string,
  key: string | undefined,
  hash: string,
  retentionHours: number,
  create: (trx: Transaction<Database>) => Promise<{ statusCode: number; body: unknown }>,
): Promise<StoredAnswer> {
  if (!key) return { ...(await db.transaction().execute(create)), replayed: false };
  const keepSince = new Date(Date.now() - retentionHours * 3600_000).toISOString();
  try {
    return await db.transaction().execute(async (trx) => {
      const earlier = await storedAnswer(trx, tenantId, key, hash, keepSince);
      if (earlier) return earlier;
      const answer = await create(trx);
      // an expired row of the same key makes room for the new one (a live one makes the insert fail: replay)
      await trx.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key).where('created_at', '<', keepSince).execute();
      await trx.insertInto('idempotency_keys').values({ tenant_id: tenantId, key, request_hash: hash, status_code: answer.statusCode, response_json: JSON.stringify(answer.body), created_at: nowIso() }).execute();
      return { ...answer, replayed: false };
    });
  } catch (err) {
    // a concurrent request with the same key committed first: answer as it did
    if (!uniqueViolation(err)) throw err;
    const earlier = await storedAnswer(db, tenantId, key, hash, keepSince);
    if (!earlier) throw err;
    return earlier;
  }
}

export async function purgeIdempotencyKeys(db: Kysely<Database>, olderThan: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}
