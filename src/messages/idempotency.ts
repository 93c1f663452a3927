import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { uniqueViolation } from '../db/errors.js';
import { badRequest, conflict } from '../lib/errors.js';
import { nowIso } from '../lib/time.js';
import * as repo from './idempotency-repo.js';
import { MESSAGE_LIMITS } from './limits.js';

export interface Idempotent<T> {
  result: T;
  /** true when this is the replay of an earlier request's result */
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
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

async function storedResult<T>(db: Kysely<Database>, tenantId: string, key: string, hash: string, keepSince: string): Promise<Idempotent<T> | undefined> {
  const row = await repo.findIdempotencyKey(db, tenantId, key, keepSince);
  if (!row) return undefined;
  if (row.request_hash !== hash) throw conflict('this Idempotency-Key was used with a different request', 'idempotency_key_reused');
  return { result: JSON.parse(row.result_json) as T, replayed: true };
}

/** The first answer of a key already used (409 when it was used with another request); undefined when it is new. */
export async function earlierAnswer<T>(
  db: Kysely<Database>,
  tenantId: string,
  key: string,
  hash: string,
  retentionHours: number,
): Promise<Idempotent<T> | undefined> {
  return storedResult<T>(db, tenantId, key, hash, new Date(Date.now() - retentionHours * 3600_000).toISOString());
}

/**
 * Runs `create` once per key: its result is stored in the same transaction as the work, so a
 * replay returns exactly the first result; the same key with another request is a 409.
 * `inTransaction` runs the work in a transaction (its own by default, or a shared one).
 */
export async function idempotent<T>(
  db: Kysely<Database>,
  tenantId: string,
  key: string | undefined,
  hash: string,
  retentionHours: number,
  create: (trx: Transaction<Database>) => Promise<T>,
  inTransaction: <R>(work: (trx: Transaction<Database>) => Promise<R>) => Promise<R> = (work) => db.transaction().execute(work),
): Promise<Idempotent<T>> {
  if (!key) return { result: await inTransaction(create), replayed: false };
  const keepSince = new Date(Date.now() - retentionHours * 3600_000).toISOString();
  try {
    return await inTransaction(async (trx) => {
      const earlier = await storedResult<T>(trx, tenantId, key, hash, keepSince);
      if (earlier) return earlier;
      const result = await create(trx);
      await repo.insertIdempotencyKey(trx, tenantId, { key, request_hash: hash, result_json: JSON.stringify(result), created_at: nowIso() }, keepSince);
      return { result, replayed: false };
    });
  } catch (err) {
    // a concurrent request with the same key committed first: answer as it did
    if (!uniqueViolation(err)) throw err;
    const earlier = await storedResult<T>(db, tenantId, key, hash, keepSince);
    if (!earlier) throw err;
    return earlier;
  }
}
