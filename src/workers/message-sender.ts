import type { Deps } from '../deps.js';
import { findDevice } from '../devices/repo.js';
import { purgeIdempotencyKeys } from '../messages/idempotency-repo.js';
import { phoneOf } from '../messages/jids.js';
import { fetchLinkPreview } from '../messages/link-preview.js';
import { afterFailedAttempt, DEVICE_LOGGED_OUT, dueAt, isExpired, knownOnWhatsApp, needsRecipientCheck, notOnWhatsApp, sendPause, TTL_EXPIRED } from '../messages/queue-rules.js';
import * as repo from '../messages/repo.js';
import { recordFailed, recordRetry, recordSent } from '../messages/statuses.js';
import { parseContent, type MessageRow } from '../messages/view.js';
import { nowIso } from '../lib/time.js';
import { SendError, type MessageRef, type OutboundMessage } from '../whatsapp/messages.js';
import type { DeviceSession } from '../whatsapp/provider.js';
import { devicesWithDueMessages, expiredQueued, queuedOfLoggedOutDevices } from '../messages/sweep-repo.js';

/** A device's live session on this node, if it holds one. */
export type LiveSessionLookup = (deviceId: string) => { tenantId: string; session: DeviceSession } | undefined;

const SWEEP_MS = 5_000;

interface DeviceLoop {
  running: boolean;
  /** Set by wake(): the queue must be looked at again before the loop may stop. */
  wanted: boolean;
  /** Wakes the loop from a wait (a new message, a reconnect). */
  poke: () => void;
  lastSentAt: number;
}

const ref = (row: MessageRow): MessageRef => ({ chatJid: row.chat_jid, waId: row.wa_id, fromMe: row.from_me, senderJid: row.sender_jid });

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

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const loop of this.loops.values()) loop.poke();
    for (let i = 0; i < 200 && [...this.loops.values()].some((l) => l.running); i++) await new Promise((r) => setTimeout(r, 25));
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
        const head = await repo.nextQueued(this.deps.db.kysely, live.tenantId, deviceId);
        if (!head) {
          if (loop.wanted) continue; // a message came in while the queue was being read
          return;
        }
        const now = Date.now();
        if (isExpired(head, now)) {
          await recordFailed(this.deps, live.tenantId, head.id, TTL_EXPIRED);
          continue;
        }
        const due = dueAt(head, loop.lastSentAt, await this.pause(live.tenantId, deviceId), now);
        if (due > now) {
          await this.sleep(loop, Math.min(due - now, SWEEP_MS));
          if (Date.now() < due) continue; // poked early: look at the queue again
        }
        await this.attempt(live.tenantId, live.session, head);
        loop.lastSentAt = Date.now();
      }
    } catch (err) {
      this.deps.logger.error({ err, deviceId }, 'outbound queue loop failed; the sweep restarts it');
    } finally {
      loop.running = false;
      loop.poke = () => {};
    }
  }

  /** The device's pause between sends, jittered. */
  private async pause(tenantId: string, deviceId: string): Promise<number> {
    const device = await findDevice(this.deps.db.kysely, tenantId, deviceId);
    return sendPause(device?.send_interval_ms ?? this.deps.config.sendIntervalMs, this.deps.config.sendJitterPercent);
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

  private async attempt(tenantId: string, session: DeviceSession, row: MessageRow): Promise<void> {
    try {
      const message = await this.outboundOf(tenantId, row);
      const refusal = await this.recipientRefusal(tenantId, session, row);
      if (refusal) return await recordFailed(this.deps, tenantId, row.id, refusal);
      await session.send(message);
      await recordSent(this.deps, tenantId, row.id);
    } catch (err) {
      const error = { message: (err as Error).message, permanent: err instanceof SendError && err.permanent };
      const outcome = afterFailedAttempt(row.attempts, error, this.deps.config.sendMaxAttempts, Date.now());
      if (outcome.kind === 'fail') return recordFailed(this.deps, tenantId, row.id, outcome.reason);
      this.deps.logger.warn({ messageId: row.id, attempts: outcome.attempts, reason: outcome.reason }, 'sending failed; trying again');
      await recordRetry(this.deps, tenantId, row.id, outcome.attempts, nowIso(new Date(outcome.retryAt)), outcome.reason);
    }
  }

  /** The message as the provider sends it: its content, what it quotes or applies to. */
  private async outboundOf(tenantId: string, row: MessageRow): Promise<OutboundMessage> {
    const db = this.deps.db.kysely;
    const content = parseContent(row) as OutboundMessage['content'];
    const message: OutboundMessage = { chatJid: row.chat_jid, waId: row.wa_id, content };
    if (row.quoted_message_id) {
      const quoted = await repo.findMessage(db, tenantId, row.quoted_message_id);
      if (quoted) message.quoted = { ref: ref(quoted), content: parseContent(quoted) };
    }
    if (row.target_message_id) {
      const target = await repo.findMessage(db, tenantId, row.target_message_id);
      if (!target) throw new SendError('the message it applies to no longer exists', true);
      message.target = ref(target);
    }
    if (content.type === 'text' && content.link_preview) {
      message.linkPreview = await fetchLinkPreview(content.text, this.deps.config.allowPrivateWebhooks).catch(() => undefined);
    }
    return message;
  }

  /** Why WhatsApp would not deliver to this chat (not on WhatsApp), checked once a day per contact. */
  private async recipientRefusal(tenantId: string, session: DeviceSession, row: MessageRow): Promise<string | null> {
    const phone = phoneOf(row.chat_jid);
    if (!needsRecipientCheck(row.type, phone)) return null;
    const db = this.deps.db.kysely;
    let onWhatsApp = knownOnWhatsApp(await repo.findContact(db, tenantId, row.device_id, row.chat_jid), Date.now());
    if (onWhatsApp === null) {
      const [result] = await session.checkNumbers([phone]);
      onWhatsApp = !!result?.on_whatsapp;
      await repo.upsertContact(db, tenantId, row.device_id, { jid: row.chat_jid, phone, onWhatsApp, at: nowIso() });
    }
    return onWhatsApp ? null : notOnWhatsApp(phone);
  }

  /** Fails what can no longer be sent, wakes devices with due messages, forgets old idempotency keys. */
  async sweep(): Promise<void> {
    const db = this.deps.db.kysely;
    try {
      const now = nowIso();
      for (const m of await expiredQueued(db, now, 500)) await recordFailed(this.deps, m.tenant_id, m.id, TTL_EXPIRED);
      for (const m of await queuedOfLoggedOutDevices(db, 500)) await recordFailed(this.deps, m.tenant_id, m.id, DEVICE_LOGGED_OUT);
      for (const deviceId of await devicesWithDueMessages(db, now)) if (this.sessions(deviceId)) this.wake(deviceId);
      await purgeIdempotencyKeys(db, nowIso(new Date(Date.now() - this.deps.config.idempotencyHours * 3600_000)));
    } catch (err) {
      this.deps.logger.error({ err }, 'outbound queue sweep failed');
    }
  }
}
