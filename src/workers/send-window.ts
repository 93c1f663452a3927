import type { Deps } from '../deps.js';
import { recordAttempts, type Attempt, type KnownRecipients } from '../messages/outbound-queue.js';

/**
 * Acknowledged messages whose outcome is still being recorded, at most: beyond, the sender
 * waits for the recording (the database) to catch up before it writes more.
 */
const RECORDING_BACKLOG = 64;

/**
 * The messages of one device written to WhatsApp whose outcome is not recorded yet, oldest
 * first. A message is on its way until its ack (or error) came; outcomes are recorded in the
 * window's order, those that came while the previous ones were recorded in one go; a message
 * leaves the window once its outcome is recorded (it stays `queued` until then).
 */
export class SendWindow {
  private readonly attempts: Attempt[] = [];
  private recording = false;
  private listeners: Array<() => void> = [];
  /** A send failed (it may be tried again): nothing more is written until the window is empty. */
  halted = false;
  /** Recording failed (the database): the loop stops, the messages stay queued, the sweep restarts it. */
  broken: unknown;
  /** Chats this run of the sender already knows to be on WhatsApp. */
  readonly knownRecipients: KnownRecipients = new Map();

  constructor(
    private readonly deps: Deps,
    private readonly tenantId: string,
  ) {}

  /** Messages in the window, recorded or not. */
  get size(): number {
    return this.attempts.length;
  }

  /** Messages written whose ack has not come yet. */
  get onTheirWay(): number {
    return this.attempts.filter((a) => !a.settled).length;
  }

  /** Whether another message may be written now, with `room` on their way at most. */
  hasRoom(room: number): boolean {
    if (this.halted && this.attempts.length > 0) return false;
    return this.onTheirWay < room && this.attempts.length < RECORDING_BACKLOG;
  }

  /** The ids of the messages in the window (still `queued` in the database). */
  ids(): Set<string> {
    return new Set(this.attempts.map((a) => a.row.id));
  }

  add(attempt: Attempt): void {
    this.attempts.push(attempt);
    void attempt.outcome.then((outcome) => {
      if (outcome.kind === 'error') this.halted = true;
      this.notify();
      return this.recordSettled();
    });
  }

  /** Resolves once a message's ack came or a message left the window. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  async drained(): Promise<void> {
    while (this.attempts.length) await this.changed();
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
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
        this.notify();
      }
    } finally {
      this.recording = false;
    }
  }
}
