import type { Deps } from '../deps.js';
import { findDevice } from '../devices/repo.js';

/**
 * Each device's pace between sends (its own interval or the operator's default, before
 * jitter), read once and kept until `forget` (the bus's sendPaceChanged, or the device leaving
 * this node), so that sending a message reads no device row.
 */
export class SendPaces {
  private readonly intervals = new Map<string, number>();
  /** Counts forgets: a read that a forget overtook is not kept (it may hold the old pace). */
  private forgets = 0;

  constructor(private readonly deps: Deps) {}

  async intervalOf(tenantId: string, deviceId: string): Promise<number> {
    const known = this.intervals.get(deviceId);
    if (known !== undefined) return known;
    const forgetsBefore = this.forgets;
    const device = await findDevice(this.deps.db.kysely, tenantId, deviceId);
    const interval = device?.send_interval_ms ?? this.deps.config.sendIntervalMs;
    if (device && forgetsBefore === this.forgets) this.intervals.set(deviceId, interval);
    return interval;
  }

  forget(deviceId: string): void {
    this.forgets++;
    this.intervals.delete(deviceId);
  }

  /** Forgets every pace (changes made on other nodes may have been missed). */
  forgetAll(): void {
    this.forgets++;
    this.intervals.clear();
  }
}
