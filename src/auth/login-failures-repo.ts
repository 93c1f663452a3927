import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Counts failed logins per key (an account or a client address) in a fixed window, in the
 * database so that every node sees the same counts.
 */
export async function secondsLockedOut(db: Kysely<Database>, key: string, maxFailures: number, now: Date): Promise<number> {
  const row = await db.selectFrom('login_failures').select(['failures', 'window_ends_at']).where('key', '=', key).executeTakeFirst();
  if (!row) return 0;
  const endsAt = Date.parse(row.window_ends_at);
  if (endsAt <= now.getTime() || row.failures < maxFailures) return 0;
  return (endsAt - now.getTime()) / 1000;
}

export async function recordFailure(db: Kysely<Database>, key: string, windowSeconds: number, now: Date): Promise<void> {
  const nowText = now.toISOString();
  const endsAt = new Date(now.getTime() + windowSeconds * 1000).toISOString();
  await db
    .insertInto('login_failures')
    .values({ key, failures: 1, window_ends_at: endsAt })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql`case when login_failures.window_ends_at > ${nowText} then login_failures.failures + 1 else 1 end`,
        window_ends_at: sql`case when login_failures.window_ends_at > ${nowText} then login_failures.window_ends_at else ${endsAt} end`,
      }),
    )
    .execute();
}

export async function clearFailures(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('login_failures').where('key', '=', key).execute();
}

/** Drops windows that have ended, so the table stays as small as the current attack. */
export async function pruneFailures(db: Kysely<Database>, now: Date): Promise<void> {
  await db.deleteFrom('login_failures').where('window_ends_at', '<=', now.toISOString()).execute();
}
