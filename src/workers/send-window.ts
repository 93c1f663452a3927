import type { Deps } from '../deps.js';
import { recordAttempts, type Attempt, type KnownRecipients } from '../messages/outbound-queue.js';

/**
 * The messages of one device written to WhatsApp whose outcome is not recorded yet, oldest
 * first. Outcomes are recorded in that order, those that came together in one go; a message
 * leaves the window once its outcome is recorded.
 */
export class SendWindow {
  private readonly attempts: Attempt[] = [];
  private recording = false;
  private listeners: Array<() => void> = [];
  /** An outcome will be tried again: nothing more is written until the window is empty. */
  halted = false;
  /** Recording failed (the database): the loop stops, the messages stay queued, the sweep restarts it. */
  broken: unknown;
  /** Chats this run of the sender already knows to be on WhatsApp. */
  readonly knownRecipients: KnownRecipients = new Map();

  constructor(
    private readonly deps: Deps,
    private readonly tenantId: string,
  ) {}

  get size(): number {
    return this.attempts.length;
  }

  /** The ids of the messages in the window (still `queued` in the database). */
  ids(): Set<string> {
    return new Set(this.attempts.map((a) => a.row.id));
  }

  add(attempt: Attempt): void {
    this.attempts.push(attempt);
    void attempt.outcome.then(() => this.recordSettled());
  }

  /** Resolves once a message left the window. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  async drained(): Promise<void> {
    while (this.attempts.length) await this.changed();
  }

  private async recordSettled(): Promise<void> {
    if (this.recording) return;
    this.recording = true;
    try {
      while (this.attempts[0]?.settled) {
        let ready = 1;
        while (this.attempts[ready]?.settled) ready++;
        const done = this.attempts.slice(0, ready);
        try {
          if (await recordAttempts(this.deps, this.tenantId, done)) this.halted = true;
        } catch (err) {
          this.broken ??= err;
          this.halted = true;
        }
        this.attempts.splice(0, ready);
        const listeners = this.listeners;
        this.listeners = [];
        for (const l of listeners) l();
      }
    } finally {
      this.recording = false;
    }
  }
}
