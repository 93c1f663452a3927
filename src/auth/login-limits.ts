import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { tooManyRequests } from '../lib/errors.js';
import { countAttempt, releaseAttempt, type AttemptCount } from './login-failures-repo.js';

export interface LimitedKey {
  key: string;
  maxFailures: number;
}

/**
 * Counts a password check against every key BEFORE it runs, so that parallel guesses cannot
 * all pass a check made before any of them had failed: per key and window, at most
 * `maxFailures` checks happen. Over a limit it answers 429 and takes back what it counted on
 * the keys before. The counts are answered in the order of `keys`: a check that succeeds
 * clears or releases them.
 */
export async function admitPasswordCheck(db: Kysely<Database>, keys: LimitedKey[], windowSeconds: number, now: Date, message: string): Promise<AttemptCount[]> {
  const counted: AttemptCount[] = [];
  for (const { key, maxFailures } of keys) {
    const count = await countAttempt(db, key, windowSeconds, now);
    if (count.attempts > maxFailures) {
      for (const [j, earlier] of counted.entries()) await releaseAttempt(db, keys[j]!.key, earlier);
      // A parallel request that read the clock a moment later may have opened the window: never more than its length.
      const wait = Math.min(windowSeconds, (Date.parse(count.windowEndsAt) - now.getTime()) / 1000);
      throw tooManyRequests(wait, message);
    }
    counted.push(count);
  }
  return counted;
}
