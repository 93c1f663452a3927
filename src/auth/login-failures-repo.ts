import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Failed password checks per key (an account or a client address) in a fixed window, in the
 * database so that every node sees the same counts.
 */
export interface AttemptCount {
  /** Attempts in the current window, this one included. */
  attempts: number;
  windowEndsAt: string;
}

/**
 * Counts one more attempt under `key` and answers the count, in one statement: parallel
 * requests each see a different count, so no more than the limit of them get past a check
 * made on it (an attempt counts as failed until `releaseAttempt` or `clearFailures`).
 */
export async function countAttempt(db: Kysely<Database>, key: string, windowSeconds: number, now: Date): Promise<AttemptCount> {
  const nowText = now.toISOString();
  const endsAt = new Date(now.getTime() + windowSeconds * 1000).toISOString();
  const row = await db
    .insertInto('login_failures')
    .values({ key, failures: 1, window_ends_at: endsAt })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql`case when login_failures.window_ends_at > ${nowText} then login_failures.failures + 1 else 1 end`,
        window_ends_at: sql`case when login_failures.window_ends_at > ${nowText} then login_failures.window_ends_at else ${endsAt} end`,
      }),
    )
    .returning(['failures', 'window_ends_at'])
    .executeTakeFirstOrThrow();
  return { attempts: Number(row.failures), windowEndsAt: new Date(row.window_ends_at).toISOString() };
}

/** Takes back an attempt counted by `countAttempt` that did not fail, if its window is still the current one. */
export async function releaseAttempt(db: Kysely<Database>, key: string, counted: AttemptCount): Promise<void> {
  await db
    .updateTable('login_failures')
    .set({ failures: sql`login_failures.failures - 1` })
    .where('key', '=', key)
    .where('window_ends_at', '=', counted.windowEndsAt)
    .where('failures', '>', 0)
    .execute();
}

export async function clearFailures(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('login_failures').where('key', '=', key).execute();
}

/** Drops windows that have ended, so the table stays as small as the current attack. */
export async function pruneFailures(db: Kysely<Database>, now: Date): Promise<void> {
  await db.deleteFrom('login_failures').where('window_ends_at', '<=', now.toISOString()).execute();
}
