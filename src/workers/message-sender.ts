import type { Deps } from '../deps.js';
import { attemptSend, nextToSend, pauseOf, prepareAhead, sweepQueues } from '../messages/outbound-queue.js';
import { dueAt } from '../messages/queue-rules.js';
import { expireRestrictions } from '../devices/restriction.js';
import type { DeviceSession } from '../whatsapp/provider.js';

/** A device's live session on this node, if it holds one. */
export type LiveSessionLookup = (deviceId: string) => { tenantId: string; session: DeviceSession } | undefined;

const SWEEP_MS = 5_000;
/** Media messages after the head whose upload may run while the head is sent. */
const PREPARE_AHEAD = 2;

interface DeviceLoop {
  running: boolean;
  /** Set by wake(): the queue must be looked at again before the loop may stop. */
  wanted: boolean;
  /** Wakes the loop from a wait (a new message, a reconnect). */
  poke: () => void;
  lastSentAt: number;
}

/**
 * The outbound queue's worker: for each device this node holds, sends its queued messages
 * one at a time in id order, paced, and records each outcome. A message stays `queued` until
 * WhatsApp's server acknowledged it, so a crash mid-send sends it again with the same id.
 */
export class MessageSender {
  private readonly loops = new Map<string, DeviceLoop>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sessions: LiveSessionLookup = () => undefined;
  private unsubscribe: () => void = () => {};

  constructor(private readonly deps: Deps) {}

  /** Starts the periodic sweep and listens for wakes; `sessions` tells which devices this node holds. */
  start(sessions: LiveSessionLookup): void {
    this.sessions = sessions;
    this.stopped = false;
    this.unsubscribe = this.deps.bus.onSenderWake((deviceId) => this.wake(deviceId));
    const tick = () => {
      this.sweepTimer = setTimeout(() => void this.sweep().finally(() => !this.stopped && tick()), SWEEP_MS);
      this.sweepTimer.unref();
    };
    tick();
  }

  /** Takes no new message; waits for the sends in flight until `deadline` (5 s from now by default). */
  async stop(deadline = Date.now() + 5_000): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const loop of this.loops.values()) loop.poke();
    while (Date.now() < deadline && [...this.loops.values()].some((l) => l.running)) await new Promise((r) => setTimeout(r, 25));
  }

  /** Something may be sendable for the device now: a message was queued, or it connected. */
  wake(deviceId: string): void {
    if (this.stopped) return;
    let loop = this.loops.get(deviceId);
    if (!loop) {
      loop = { running: false, wanted: false, poke: () => {}, lastSentAt: 0 };
      this.loops.set(deviceId, loop);
    }
    loop.wanted = true;
    if (loop.running) return loop.poke();
    void this.run(deviceId, loop);
  }

  private async run(deviceId: string, loop: DeviceLoop): Promise<void> {
    loop.running = true;
    try {
      while (!this.stopped) {
        loop.wanted = false;
        const live = this.sessions(deviceId);
        if (!live?.session.isOpen) return;
        const now = Date.now();
        const [head, ...next] = await nextToSend(this.deps, live.tenantId, deviceId, now, PREPARE_AHEAD);
        if (!head) {
          if (loop.wanted) continue; // a message came in while the queue was being read
          return;
        }
        // media files are encrypted and uploaded during the pause and the sends before their turn
        await prepareAhead(this.deps, live.tenantId, live.session, [head, ...next]);
        const due = dueAt(head, loop.lastSentAt, await pauseOf(this.deps, live.tenantId, deviceId), now);
        if (due > now) {
          await this.sleep(loop, Math.min(due - now, SWEEP_MS));
          continue; // read the queue again: its head may have been cancelled or expired meanwhile
        }
        await attemptSend(this.deps, live.tenantId, live.session, head);
        loop.lastSentAt = Date.now();
      }
    } catch (err) {
      this.deps.logger.error({ err, deviceId }, 'outbound queue loop failed; the sweep restarts it');
    } finally {
      loop.running = false;
      loop.poke = () => {};
    }
  }

  private sleep(loop: DeviceLoop, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        loop.poke = () => {};
        resolve();
      }
      loop.poke = done;
    });
  }

  /** The queues' sweep (expired and orphaned messages, old keys); wakes the held devices with a message due. */
  async sweep(): Promise<void> {
    try {
      // restrictions whose time passed end here too: from then on new chats are sent to again
      await expireRestrictions(this.deps);
      for (const deviceId of await sweepQueues(this.deps)) if (this.sessions(deviceId)) this.wake(deviceId);
    } catch (err) {
      this.deps.logger.error({ err }, 'outbound queue sweep failed');
    }
  }
}
