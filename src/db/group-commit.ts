import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../lib/errors.js';
import type { Database } from './schema.js';

export type TransactionWork<T> = (trx: Transaction<Database>) => Promise<T>;

interface Waiting {
  work: TransactionWork<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { value: unknown } | { refusal: AppError };

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
  private waiting: Waiting[] = [];
  private writing = false;
  /** Transactions begun and works handed in so far (works ÷ transactions: how much commits are shared). */
  readonly stats = { transactions: 0, works: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly max = GROUP_COMMIT_MAX,
  ) {}

  run<T>(work: TransactionWork<T>): Promise<T> {
    this.stats.works++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.writing) {
        this.writing = true;
        // requests read in the same turn of the event loop join the first transaction
        setImmediate(() => void this.writeAll());
      }
    });
  }

  private async writeAll(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.max);
      await this.write(batch);
    }
    this.writing = false;
  }

  private async write(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.writeAlone(batch[0]!);
    let failed = -1;
    this.stats.transactions++;
    try {
      const results = await this.db.transaction().execute(async (trx) => {
        const out: Outcome[] = [];
        for (let i = 0; i < batch.length; i++) {
          failed = i;
          try {
            out.push({ value: await batch[i]!.work(trx) });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            out.push({ refusal: err });
          }
        }
        failed = -1;
        return out;
      });
      batch.forEach((w, i) => {
        const outcome = results[i]!;
        if ('refusal' in outcome) w.reject(outcome.refusal);
        else w.resolve(outcome.value);
      });
    } catch (err) {
      if (failed < 0) {
        // the commit itself failed: nothing of the batch is written
        for (const w of batch) w.reject(err);
        return;
      }
      const [culprit] = batch.splice(failed, 1);
      await this.write(batch);
      await this.writeAlone(culprit!);
    }
  }

  private async writeAlone(w: Waiting): Promise<void> {
    this.stats.transactions++;
    try {
      w.resolve(await this.db.transaction().execute(w.work));
    } catch (err) {
      w.reject(err);
    }
  }
}
