import { tooManyRequests } from './errors.js';

/**
 * Counts actions per key in a sliding window, in memory (per node): for limits that protect
 * WhatsApp sessions from bursts, where exactness across nodes does not matter.
 */
export class RateWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Records a hit and answers 0, or answers the seconds to wait when the key is over its limit. */
  take(key: string, now = Date.now()): number {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.max) {
      this.hits.set(key, recent);
      return (recent[0]! + this.windowMs - now) / 1000;
    }
    recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.prune(now);
    return 0;
  }

  /** Records a hit, or refuses it with a 429 (Retry-After) carrying `message` when the key is over its limit. */
  enforce(key: string, message: string): void {
    const wait = this.take(key);
    if (wait > 0) throw tooManyRequests(wait, message);
  }

  private prune(now: number): void {
    for (const [key, times] of this.hits) if (times.every((t) => now - t >= this.windowMs)) this.hits.delete(key);
  }
}
