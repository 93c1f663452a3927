import type { Deps } from '../deps.js';
import { pendingMigrations } from '../db/migrate.js';
import { pingDatabase } from '../db/reachable.js';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Ready when the database answers and every migration is applied. */
export async function readiness(deps: Deps): Promise<Readiness> {
  try {
    await pingDatabase(deps.db);
    const pending = await pendingMigrations(deps.db);
    if (pending.length > 0) return { ready: false, reason: `migrations not applied: ${pending.join(', ')}` };
  } catch {
    return { ready: false, reason: 'database unreachable' };
  }
  return { ready: true };
}
