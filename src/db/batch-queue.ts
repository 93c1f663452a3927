/** How one item of a batch ended. */
export type Settled<O> = { value: O } | { error: unknown };

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * Items handed in while a batch is being written wait for the next one, so concurrent callers
 * share the cost of a write (group commit) with no added delay when alone: the first item goes
 * out at the end of the current turn of the event loop, with whatever arrived in that turn.
 * `flush` answers each item of a batch (in order); each caller is answered when its batch is done.
 */
export class BatchQueue<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private writing = false;
  /** Items handed in and batches written so far (items ÷ batches: how much writes are shared). */
  readonly stats = { items: 0, batches: 0 };

  constructor(
    private readonly flush: (items: I[]) => Promise<Settled<O>[]>,
    private readonly max: number,
  ) {}

  push(item: I): Promise<O> {
    this.stats.items++;
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.max);
      this.stats.batches++;
      let outcomes: Settled<O>[];
      try {
        outcomes = await this.flush(batch.map((w) => w.item));
      } catch (err) {
        outcomes = batch.map(() => ({ error: err }));
      }
      batch.forEach((w, i) => {
        const outcome = outcomes[i]!;
        if ('error' in outcome) w.reject(outcome.error);
        else w.resolve(outcome.value);
      });
    }
    this.writing = false;
  }
}
