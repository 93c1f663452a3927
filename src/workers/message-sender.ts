import type { Deps } from '../deps.js';
import { nextToSend, prepareAhead, startAttempt, sweepQueues } from '../messages/outbound-queue.js';
import { dueAt, sendPause } from '../messages/queue-rules.js';
import { SendPaces } from '../messages/send-paces.js';
import { expireRestrictions } from '../devices/restriction.js';
import type { DeviceSession } from '../whatsapp/provider.js';
import { SendWindow } from './send-window.js';

/** A device's live session on this node, if it holds one. */
export type LiveSessionLookup = (deviceId: string) => { tenantId: string; session: DeviceSession } | undefined;

const SWEEP_MS = 5_000;
/** Media messages after the head whose upload may run while the head is sent. */
const PREPARE_AHEAD = 2;

interface DeviceLoop {
  running: boolean;
  /** Set by wake(): the queue must be looked at again before the loop may stop. */
  wanted: boolean;
  /** Wakes the loop from a wait (a new message, a reconnect, a pace change). */
  poke: () => void;
  lastSentAt: number;
}

/**
 * The outbound queue's worker: for each device this node holds, sends its queued messages in
 * id order and records each outcome. A device with a pace sends one at a time, pausing between
 * sends; one whose pace is 0 writes up to `sendWindow` messages before their acks came (each
 * is written once the one before it is). A message stays `queued` until WhatsApp's server
 * acknowledged it and that is recorded, so a crash mid-send sends it again with the same id.
 * When a send fails, nothing more is written until the window is empty: a message to retry
 * goes again before anything not yet written.
 */
export class MessageSender {
  private readonly loops = new Map<string, DeviceLoop>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sessions: LiveSessionLookup = () => undefined;
  private unsubscribe: () => void = () => {};
  private readonly paces: SendPaces;

  constructor(private readonly deps: Deps) {
    this.paces = new SendPaces(deps);
  }

  /** Starts the periodic sweep and listens for wakes; `sessions` tells which devices this node holds. */
  start(sessions: LiveSessionLookup): void {
    this.sessions = sessions;
    this.stopped = false;
    const wakes = this.deps.bus.onSenderWake((deviceId) => this.wake(deviceId));
    const paceChanges = this.deps.bus.onSendPaceChanged((deviceId) => {
      this.paces.forget(deviceId);
      // a loop waiting out the old pause looks again at once
      this.loops.get(deviceId)?.poke();
    });
    const missed = this.deps.bus.onPeerSignalsMissed(() => this.paces.forgetAll());
    this.unsubscribe = () => {
      wakes();
      paceChanges();
      missed();
    };
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
    // wakes come from every node: a device never held here has no loop to start and no pace to forget
    if (!loop && !this.sessions(deviceId)) return;
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
    let window: SendWindow | undefined;
    try {
      while (!this.stopped) {
        loop.wanted = false;
        const live = this.sessions(deviceId);
        if (!live?.session.isOpen) {
          // the device may come back on another node, whose pace changes this one does not hear of
          this.paces.forget(deviceId);
          return;
        }
        window ??= new SendWindow(this.deps, live.tenantId);
        if (window.broken) throw window.broken;
        const interval = await this.paces.intervalOf(live.tenantId, deviceId);
        const room = interval === 0 ? this.deps.config.sendWindow : 1;
        if (!window.hasRoom(room)) {
          await this.wait(loop, window.changed());
          continue;
        }
        window.halted = false;
        const now = Date.now();
        const [head, ...next] = await nextToSend(this.deps, live.tenantId, deviceId, now, PREPARE_AHEAD, window.ids());
        if (!head) {
          if (window.size > 0) await this.wait(loop, window.changed());
          else if (!loop.wanted) return;
          continue; // a message came in while the queue was being read, or one left the window
        }
        // media files are encrypted and uploaded during the pause and the sends before their turn
        await prepareAhead(this.deps, live.tenantId, live.session, [head, ...next]);
        const due = dueAt(head, loop.lastSentAt, sendPause(interval, this.deps.config.sendJitterPercent), now);
        if (due > now) {
          await this.wait(loop, window.size > 0 ? window.changed() : undefined, Math.min(due - now, SWEEP_MS));
          continue; // read the queue again: its head may have been cancelled or expired meanwhile
        }
        // an outcome to retry came in meanwhile: it goes before this one (read again once the window is empty)
        if (window.halted) continue;
        // the lease is checked again just before the message is written: a node paused past it sends nothing
        if (!this.sessions(deviceId)) continue;
        const attempt = startAttempt(this.deps, live.tenantId, live.session, head, window.knownRecipients);
        window.add(attempt);
        await attempt.written;
        if (room === 1) await window.drained();
        loop.lastSentAt = Date.now();
      }
    } catch (err) {
      this.deps.logger.error({ err, deviceId }, 'outbound queue loop failed; the sweep restarts it');
    } finally {
      // the outcomes of the messages on their way are recorded before the loop may start again
      await window?.drained();
      loop.running = false;
      loop.poke = () => {};
    }
    // woken while it was finishing (the device reconnected, a message came): it looks again
    if (loop.wanted && !this.stopped) void this.run(deviceId, loop);
  }

  /** Waits until `event` (when given), a poke, or `ms` passed. */
  private wait(loop: DeviceLoop, event: Promise<void> | undefined, ms = SWEEP_MS): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        if (loop.poke === done) loop.poke = () => {};
        resolve();
      }
      loop.poke = done;
      void event?.then(done);
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
