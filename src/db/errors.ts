/**
 * Tells whether a database error is a unique-constraint violation, on either dialect, and on
 * which column (best effort: the constraint or column name appears in the driver's message).
 */
export function uniqueViolation(err: unknown): { detail: string } | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: string; constraint?: string; message?: string; detail?: string };
  if (e.code === '23505') return { detail: `${e.constraint ?? ''} ${e.detail ?? ''}` };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return { detail: e.message ?? '' };
  return undefined;
}

/**
 * A failure that says nothing about the work itself: PostgreSQL chose this transaction to end a
 * deadlock, or could not serialize it. Running the same work again is the remedy.
 */
export function transientFailure(err: unknown): boolean {
  const code = err && typeof err === 'object' ? (err as { code?: string }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** How many times work ended by a transient failure is run again. */
const TRANSIENT_RETRIES = 3;

/** Runs `work` (a whole transaction), again when a deadlock or serialization failure ended it. */
export async function retryTransient<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!transientFailure(err) || attempt > TRANSIENT_RETRIES) throw err;
    }
  }
}
