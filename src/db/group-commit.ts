import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../lib/errors.js';
import { BatchQueue, type Settled } from './batch-queue.js';
import { retryTransient } from './errors.js';
import type { Database } from './schema.js';

export type TransactionWork<T> = (trx: Transaction<Database>) => Promise<T>;

/** How many works share a transaction at most. */
export const GROUP_COMMIT_MAX = 64;

/**
 * Group commit: works handed in while a transaction is being written share the next one, so
 * concurrent writers pay one commit (one fsync) between them. Each caller is answered once
 * the transaction holding its work committed.
 *
 * A work that refuses (throws an `AppError`, which it must do before writing anything) is
 * answered with its refusal and the others go on. A work that fails otherwise (a constraint,
 * a lost connection) fails alone: the shared transaction is rolled back, the works before and
 * after it run again together, and the failing one runs last in a transaction of its own,
 * whose outcome (its own error, or success if the failure came from sharing) it is answered
 * with. Works therefore run more than once when a neighbour fails: they must touch the
 * database only through `trx`.
 */
export class GroupCommit {
  private readonly queue: BatchQueue<TransactionWork<unknown>, unknown>;
  private transactions = 0;

  constructor(
    private readonly db: Kysely<Database>,
    max = GROUP_COMMIT_MAX,
  ) {
    this.queue = new BatchQueue((works) => this.write(works), max);
  }

  /** Transactions begun and works handed in so far (works ÷ transactions: how much commits are shared). */
  get stats(): { transactions: number; works: number } {
    return { transactions: this.transactions, works: this.queue.stats.items };
  }

  run<T>(work: TransactionWork<T>): Promise<T> {
    return this.queue.push(work) as Promise<T>;
  }

  private async write(works: TransactionWork<unknown>[]): Promise<Settled<unknown>[]> {
    if (works.length === 1) return [await this.writeAlone(works[0]!)];
    let failed = -1;
    this.transactions++;
    try {
      return await this.db.transaction().execute(async (trx) => {
        const out: Settled<unknown>[] = [];
        for (let i = 0; i < works.length; i++) {
          failed = i;
          try {
            out.push({ value: await works[i]!(trx) });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            out.push({ error: err });
          }
        }
        failed = -1;
        return out;
      });
    } catch (err) {
      // the commit itself failed: nothing of the batch is written
      if (failed < 0) return works.map(() => ({ error: err }));
      const others = [...works.slice(0, failed), ...works.slice(failed + 1)];
      const outcomes = await this.write(others);
      const own = await this.writeAlone(works[failed]!);
      return [...outcomes.slice(0, failed), own, ...outcomes.slice(failed)];
    }
  }

  private async writeAlone(work: TransactionWork<unknown>): Promise<Settled<unknown>> {
    try {
      return {
        value: await retryTransient(() => {
          this.transactions++;
          return this.db.transaction().execute(work);
        }),
      };
    } catch (err) {
      return { error: err };
    }
  }
}
