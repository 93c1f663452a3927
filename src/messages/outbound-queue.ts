import type { Deps } from '../deps.js';
import { AppError } from '../lib/errors.js';
import { nowIso } from '../lib/time.js';
import { openMedia } from '../media/service.js';
import { SendError, type MessageRef, type OutboundMessage, type SendResult } from '../whatsapp/messages.js';
import { purgeIdempotencyKeys } from './idempotency-repo.js';
import { phoneOf } from './jids.js';
import { fetchLinkPreview } from './link-preview.js';
import { newChatRefusal } from './new-chats.js';
import {
  afterFailedAttempt,
  DEVICE_LOGGED_OUT,
  isExpired,
  knownOnWhatsApp,
  needsRecipientCheck,
  notOnWhatsApp,
  NUMBER_CHECK_TTL_MS,
  TTL_EXPIRED,
} from './queue-rules.js';
import * as repo from './repo.js';
import { recordFailed, recordRetry, recordSentMany } from './statuses.js';
import { devicesWithDueMessages, expiredQueued, queuedOfLoggedOutDevices } from './sweep-repo.js';
import { isMedia, parseContent, type MessageRow } from './view.js';

/**
 * The outbound queue's steps, for the sender worker that loops over them: what is next, one
 * attempt, the outcomes of attempts, and the periodic sweep.
 */

/** What sending needs from the device's live connection. */
export interface SendingSession {
  send(message: OutboundMessage, written?: () => void): Promise<SendResult | void>;
  prepare?(message: OutboundMessage): void;
  checkNumbers(phones: string[]): Promise<{ on_whatsapp: boolean }[]>;
}

const ref = (row: MessageRow): MessageRef => ({
  chatJid: row.chat_jid,
  waId: row.wa_id,
  fromMe: row.from_me,
  senderJid: row.sender_jid,
  senderLid: row.sender_lid ?? null,
});

/**
 * The head of the device's queue and up to `ahead` messages after it, after failing the heads
 * whose time to live ran out; messages in `skip` (on their way to WhatsApp) are passed over.
 */
export async function nextToSend(
  deps: Deps,
  tenantId: string,
  deviceId: string,
  now: number,
  ahead = 0,
  skip: ReadonlySet<string> = new Set(),
): Promise<MessageRow[]> {
  for (;;) {
    const rows = (await repo.queuedHeads(deps.db.kysely, tenantId, deviceId, 1 + ahead + skip.size)).filter((r) => !skip.has(r.id));
    const head = rows[0];
    if (!head || !isExpired(head, now)) return rows.slice(0, 1 + ahead);
    await recordFailed(deps, tenantId, head.id, TTL_EXPIRED);
  }
}

export type SendOutcome = { kind: 'sent'; result: SendResult } | { kind: 'refused'; reason: string } | { kind: 'error'; error: unknown };

/** One attempt to send a message: it is written to WhatsApp, then waits for the server's ack. */
export interface Attempt {
  row: MessageRow;
  /** Resolves once the message was written to the connection (or the attempt ended before): the next one may go. */
  written: Promise<void>;
  /** What became of it (never rejects); `settled` holds it once known. */
  outcome: Promise<SendOutcome>;
  settled?: SendOutcome;
}

/**
 * Starts sending one message: refusals are checked first (not on WhatsApp, a new chat while
 * restricted); `known` spares the contact read for chats already known to be on WhatsApp.
 */
export function startAttempt(deps: Deps, tenantId: string, session: SendingSession, row: MessageRow, known?: KnownRecipients): Attempt {
  let markWritten!: () => void;
  const written = new Promise<void>((resolve) => (markWritten = resolve));
  const outcome = (async (): Promise<SendOutcome> => {
    try {
      const message = await outboundOf(deps, tenantId, row);
      const refusal = (await newChatRefusal(deps, tenantId, row)) ?? (await recipientRefusal(deps, tenantId, session, row, known));
      if (refusal) return { kind: 'refused', reason: refusal };
      return { kind: 'sent', result: (await session.send(message, markWritten)) ?? {} };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  const attempt: Attempt = { row, written: Promise.race([written, outcome.then(() => undefined)]), outcome };
  void outcome.then((o) => (attempt.settled = o));
  return attempt;
}

/**
 * Records the outcomes of settled attempts, in their order: sent on the server's ack (those
 * acknowledged together in one transaction); failed for good (a refusal, a permanent error,
 * the last attempt); otherwise retried later. Answers whether one of them will be retried.
 */
export async function recordAttempts(deps: Deps, tenantId: string, attempts: Attempt[]): Promise<boolean> {
  let retried = false;
  for (let i = 0; i < attempts.length;) {
    let end = i;
    while (end < attempts.length && attempts[end]!.settled?.kind === 'sent') end++;
    if (end > i) {
      retried = (await recordSentGroup(deps, tenantId, attempts.slice(i, end))) || retried;
      i = end;
      continue;
    }
    const { row, settled } = attempts[i++]!;
    if (settled?.kind === 'refused') await recordFailed(deps, tenantId, row.id, settled.reason);
    else retried = (await recordError(deps, tenantId, row, settled?.kind === 'error' ? settled.error : new Error('the attempt did not settle'))) || retried;
  }
  return retried;
}

async function recordSentGroup(deps: Deps, tenantId: string, sent: Attempt[]): Promise<boolean> {
  const acked = (a: Attempt) => ({ messageId: a.row.id, result: a.settled?.kind === 'sent' ? a.settled.result : {} });
  if (sent.length > 1) {
    try {
      return await recordSentMany(deps, tenantId, sent.map(acked)).then(() => false);
    } catch {
      // one at a time below: what cannot be recorded is handled as before, on its own
    }
  }
  let retried = false;
  for (const a of sent) {
    try {
      await recordSentMany(deps, tenantId, [acked(a)]);
    } catch (err) {
      retried = (await recordError(deps, tenantId, a.row, err)) || retried;
    }
  }
  return retried;
}

/** A failed attempt: failed for good when permanent or the last one, otherwise retried later (answers true then). */
async function recordError(deps: Deps, tenantId: string, row: MessageRow, err: unknown): Promise<boolean> {
  const error = { message: (err as Error).message, permanent: err instanceof SendError && err.permanent };
  const outcome = afterFailedAttempt(row.attempts, error, deps.config.sendMaxAttempts, Date.now());
  if (outcome.kind === 'fail') {
    await recordFailed(deps, tenantId, row.id, outcome.reason);
    return false;
  }
  deps.logger.warn({ messageId: row.id, attempts: outcome.attempts, reason: outcome.reason }, 'sending failed; trying again');
  await recordRetry(deps, tenantId, row.id, outcome.attempts, nowIso(new Date(outcome.retryAt)), outcome.reason);
  return true;
}

/**
 * Lets the session get the queue's next media messages ready (encrypted, uploaded) while the
 * device waits its pause or sends the ones before; a message that cannot be made ready here is
 * left for its own attempt, which meets the same error and records it.
 */
export async function prepareAhead(deps: Deps, tenantId: string, session: SendingSession, rows: MessageRow[]): Promise<void> {
  if (!session.prepare) return;
  for (const row of rows) {
    if (!isMedia(parseContent(row))) continue;
    try {
      session.prepare(await outboundOf(deps, tenantId, row));
    } catch {
      // left for its own attempt
    }
  }
}

/** The message as the provider sends it: its content, what it quotes or applies to. */
async function outboundOf(deps: Deps, tenantId: string, row: MessageRow): Promise<OutboundMessage> {
  const db = deps.db.kysely;
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
  if (isMedia(content)) {
    const mediaId = content.media_id;
    if (!mediaId) throw new SendError('the message has no file to send', true);
    message.openMedia = async () => {
      try {
        return (await openMedia(deps, tenantId, mediaId)).stream;
      } catch (err) {
        if (err instanceof AppError && err.statusCode === 404) throw new SendError('its file is no longer in the media store', true);
        throw err;
      }
    };
  }
  if (content.type === 'text' && content.link_preview) {
    message.linkPreview = await fetchLinkPreview(content.text, deps.config.allowPrivateWebhooks).catch(() => undefined);
  }
  return message;
}

/** Chats known to be on WhatsApp, each until its answer must be asked again (ms): what a run of the sender already read. */
export type KnownRecipients = Map<string, number>;
const KNOWN_RECIPIENTS_KEPT = 1_000;

/** Why WhatsApp would not deliver to this chat (not on WhatsApp), asked once a day per contact. */
async function recipientRefusal(deps: Deps, tenantId: string, session: SendingSession, row: MessageRow, known?: KnownRecipients): Promise<string | null> {
  const phone = phoneOf(row.chat_jid);
  if (!needsRecipientCheck(row.type, phone)) return null;
  if ((known?.get(row.chat_jid) ?? 0) > Date.now()) return null;
  const db = deps.db.kysely;
  const contact = await repo.findContact(db, tenantId, row.device_id, row.chat_jid);
  let onWhatsApp = knownOnWhatsApp(contact, Date.now());
  let checkedAt = contact?.checked_at ?? null;
  if (onWhatsApp === null) {
    const [result] = await session.checkNumbers([phone]);
    onWhatsApp = !!result?.on_whatsapp;
    checkedAt = nowIso();
    await repo.upsertContact(db, tenantId, row.device_id, { jid: row.chat_jid, phone, onWhatsApp, at: checkedAt });
  }
  if (onWhatsApp && known && checkedAt) {
    if (known.size >= KNOWN_RECIPIENTS_KEPT) known.clear();
    known.set(row.chat_jid, Date.parse(checkedAt) + NUMBER_CHECK_TTL_MS);
  }
  return onWhatsApp ? null : notOnWhatsApp(phone);
}

/**
 * Fails what can no longer be sent (time to live over, device logged out), forgets old
 * Idempotency-Keys, and answers the devices with a message due now.
 */
export async function sweepQueues(deps: Deps, batch = 500): Promise<string[]> {
  const db = deps.db.kysely;
  const now = nowIso();
  for (const m of await expiredQueued(db, now, batch)) await recordFailed(deps, m.tenant_id, m.id, TTL_EXPIRED);
  for (const m of await queuedOfLoggedOutDevices(db, batch)) await recordFailed(deps, m.tenant_id, m.id, DEVICE_LOGGED_OUT);
  await purgeIdempotencyKeys(db, nowIso(new Date(Date.now() - deps.config.idempotencyHours * 3600_000)));
  return devicesWithDueMessages(db, now);
}
