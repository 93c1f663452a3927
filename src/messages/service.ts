import type { Static } from 'typebox';
import type { Actor } from '../auth/actor.js';
import { tenantUserOf } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { findDevice, updateDevice, type DeviceRow } from '../devices/repo.js';
import { badRequest, conflict, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { apiTime, nowIso } from '../lib/time.js';
import { recordAudit } from '../audit/record.js';
import { checkFields, checkTarget, contentOf, mentionJids, newWaId, type SendBody } from './compose.js';
import { canonicalJid, partyOf } from './identities.js';
import { receiptsOf } from './receipt-repo.js';
import { earlierAnswer, idempotent, requestHash, type Idempotent } from './idempotency.js';
import { isGroupJid, normalizeChatJid } from './jids.js';
import * as repo from './repo.js';
import { queueFull, storeQueued } from './accept-writer.js';
import { resolveSendMedia } from './media-input.js';
import { MEDIA_SEND_TYPES, type MessageDetailResponse } from './schemas.js';
import { cancelQueued } from './statuses.js';
import { isMedia, parseContent, toApiMessage, type ApiMessage, type MessageRow } from './view.js';
import { findStoredMedia, openMedia, type MediaView } from '../media/service.js';
import type { ByteRange } from '../media/store.js';
import type { Readable } from 'node:stream';

const tenantUser = (actor: Actor) => tenantUserOf(actor, 'messages');

export async function deviceOf(deps: Deps, tenantId: string, deviceId: string): Promise<DeviceRow> {
  const device = await findDevice(deps.db.kysely, tenantId, deviceId);
  if (!device) throw notFound('device');
  return device;
}

/** Types that are messages of their own in a chat (the others apply to one). */
const TIMELINE_TYPES = new Set(['text', 'location', 'contact', 'poll', 'image', 'video', 'audio', 'document', 'sticker']);

/**
 * POST /devices/{id}/messages: checks the message, then queues it durably (202). The queue
 * sends it when the device is connected; the WhatsApp id is fixed now, so a resend after a
 * crash is the same message to the recipient.
 */
export async function acceptMessage(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  body: SendBody,
  idempotencyKey: string | undefined,
): Promise<Idempotent<ApiMessage>> {
  const user = tenantUser(actor);
  authorize(user, 'messages.send');
  const tenantId = user.tenantId;
  const device = await deviceOf(deps, tenantId, deviceId);
  checkFields(body);
  // only a request with a key is compared with a replay (hashing an inline file costs)
  const hash = idempotencyKey === undefined ? '' : requestHash(`POST /devices/${deviceId}/messages`, body);
  // a replay answers before anything is read, fetched or stored again
  if (idempotencyKey !== undefined) {
    const earlier = await earlierAnswer<ApiMessage>(deps.db.kysely, tenantId, idempotencyKey, hash, deps.config.idempotencyHours);
    if (earlier) return earlier;
  }
  if (device.status === 'logged_out') throw conflict('the device is logged out: connect it again (a new QR scan) before sending', 'device_logged_out');
  const isMediaSend = (MEDIA_SEND_TYPES as readonly string[]).includes(body.type);
  // the file is in the media store before the message exists: the queue never depends on a URL
  const media = isMediaSend ? await resolveSendMedia(deps, tenantId, body) : undefined;
  const row = await outboundRow(deps, user.userId, tenantId, deviceId, body, media);
  const limit = deps.config.maxQueuedPerDevice;
  const timeline = TIMELINE_TYPES.has(row.type);
  // without a key: stored with the messages accepted meanwhile (group commit); a 202 follows the commit
  if (idempotencyKey === undefined) {
    await storeQueued(deps.db, { row: { ...row, tenant_id: tenantId }, timeline, limit });
    deps.bus.wakeSender(deviceId);
    return { result: toApiMessage({ ...row, tenant_id: tenantId }), replayed: false };
  }
  // with a key: the key and its answer are written with the message, in a shared transaction too
  const answer = await idempotent(
    deps.db.kysely,
    tenantId,
    idempotencyKey,
    hash,
    deps.config.idempotencyHours,
    async (trx) => {
      if (!(await repo.reserveQueueSlot(trx, tenantId, deviceId, limit))) throw queueFull(limit);
      await repo.insertMessage(trx, tenantId, row);
      await repo.addStatus(trx, tenantId, row.id, 'queued', null, row.created_at);
      if (timeline) await repo.touchChat(trx, tenantId, deviceId, { jid: row.chat_jid, messageId: row.id, at: row.created_at, unread: false });
      return toApiMessage({ ...row, tenant_id: tenantId });
    },
    (work) => deps.db.commits.run(work),
  );
  if (!answer.replayed) deps.bus.wakeSender(deviceId);
  return answer;
}

/** The queued message a send request stands for, from what is read before any write. */
async function outboundRow(
  deps: Deps,
  userId: string,
  tenantId: string,
  deviceId: string,
  body: SendBody,
  media: Awaited<ReturnType<typeof resolveSendMedia>> | undefined,
): Promise<Omit<MessageRow, 'tenant_id'>> {
  const db = deps.db.kysely;
  const mentions = await Promise.all(mentionJids(body).map((jid) => partyOf(db, tenantId, deviceId, jid)));
  const content = contentOf(body, media, mentions);
  const now = Date.now();
  let chatJid: string;
  let target: MessageRow | undefined;
  if (body.message_id) {
    target = await repo.findMessage(db, tenantId, body.message_id);
    if (!target || target.device_id !== deviceId) throw notFound('message');
    checkTarget(body, target, now);
    chatJid = target.chat_jid;
  } else {
    chatJid = await canonicalJid(db, tenantId, deviceId, normalizeChatJid(body.to!));
  }
  const group = isGroupJid(chatJid);
  if (body.mention_all && !group) throw badRequest('mention_all mentions everyone in a group: `to` must be a group', 'invalid_mentions');
  const chatLid = group ? null : (await partyOf(db, tenantId, deviceId, chatJid)).lid;
  let quoted: MessageRow | undefined;
  if (body.reply_to) {
    quoted = await repo.findMessage(db, tenantId, body.reply_to);
    if (!quoted || quoted.device_id !== deviceId) throw notFound('message');
    if (quoted.chat_jid !== chatJid) throw badRequest('reply_to is a message of another chat', 'chat_mismatch');
    if (quoted.deleted_at) throw badRequest('that message was deleted', 'message_deleted');
  }
  const at = nowIso(new Date(now));
  return {
    id: newId(now),
    device_id: deviceId,
    chat_jid: chatJid,
    wa_id: newWaId(),
    from_me: true,
    sender_jid: null,
    sender_lid: null,
    chat_lid: chatLid,
    recipient_count: null,
    type: content.type,
    content_json: JSON.stringify(content),
    quoted_wa_id: quoted?.wa_id ?? null,
    quoted_message_id: quoted?.id ?? null,
    target_wa_id: target?.wa_id ?? null,
    target_message_id: target?.id ?? null,
    status: 'queued',
    reason: null,
    attempts: 0,
    next_attempt_at: at,
    expires_at: nowIso(new Date(now + (body.ttl_seconds ?? deps.config.messageTtlSeconds) * 1000)),
    created_by: userId,
    wa_timestamp: null,
    edited_at: null,
    deleted_at: null,
    created_at: at,
    updated_at: at,
  };
}

type Detail = Static<typeof MessageDetailResponse>['message'];

async function detail(deps: Deps, row: MessageRow): Promise<Detail> {
  const history = await repo.statusHistory(deps.db.kysely, row.tenant_id, row.id);
  const receipts = row.from_me && isGroupJid(row.chat_jid) ? await receiptsOf(deps.db.kysely, row.tenant_id, row.id) : [];
  return {
    ...toApiMessage(row),
    status_history: history.map((h) => ({ status: h.status, reason: h.reason, at: apiTime(h.created_at) })),
    recipients: row.recipient_count ?? null,
    receipts: receipts.map((r) => ({
      participant: { jid: r.participant_jid, phone: r.phone, lid: r.lid },
      status: r.status,
      delivered_at: apiTime(r.delivered_at),
      read_at: apiTime(r.read_at),
      at: apiTime(r.updated_at),
    })),
  };
}

export async function getMessage(deps: Deps, actor: Actor, id: string): Promise<Detail> {
  const user = tenantUser(actor);
  authorize(user, 'devices.read');
  const row = await repo.findMessage(deps.db.kysely, user.tenantId, id);
  if (!row) throw notFound('message');
  return detail(deps, row);
}

/** Cancels a message that is still queued (409 once it has left or finished). */
export async function cancelMessage(deps: Deps, actor: Actor, id: string): Promise<Detail> {
  const user = tenantUser(actor);
  authorize(user, 'messages.send');
  const row = await repo.findMessage(deps.db.kysely, user.tenantId, id);
  if (!row) throw notFound('message');
  const cancelled = await cancelQueued(deps, user.tenantId, id, 'cancelled by request');
  if (!cancelled) throw conflict(`the message is ${row.status}: only a queued message can be cancelled`, 'not_queued');
  return detail(deps, cancelled);
}

export async function setSendInterval(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  intervalMs: number | null,
): Promise<{ send_interval_ms: number | null; effective_ms: number }> {
  const user = tenantUser(actor);
  authorize(user, 'devices.manage');
  const before = await deviceOf(deps, user.tenantId, deviceId);
  await deps.db.kysely.transaction().execute(async (trx) => {
    await updateDevice(trx, user.tenantId, deviceId, { send_interval_ms: intervalMs, updated_at: nowIso() });
    await recordAudit(trx, user, {
      tenantId: user.tenantId,
      action: 'device.send_interval',
      targetType: 'device',
      targetId: deviceId,
      before: { send_interval_ms: before.send_interval_ms },
      after: { send_interval_ms: intervalMs },
    });
  });
  deps.bus.sendPaceChanged(deviceId);
  return { send_interval_ms: intervalMs, effective_ms: intervalMs ?? deps.config.sendIntervalMs };
}

/**
 * A media message's file, under the message's rules (every role of its tenant): the stored
 * file, opened by range. 404 when the message is not the caller's, is no media message, or its
 * file is not (or no longer) stored.
 */
export async function messageMedia(deps: Deps, actor: Actor, id: string): Promise<{ media: MediaView; open(range?: ByteRange): Promise<Readable> }> {
  const user = tenantUser(actor);
  authorize(user, 'devices.read');
  const row = await repo.findMessage(deps.db.kysely, user.tenantId, id);
  if (!row) throw notFound('message');
  const content = row.deleted_at ? undefined : parseContent(row);
  const mediaId = content && isMedia(content) && content.state !== 'pending' && content.state !== 'failed' ? content.media_id : undefined;
  const media = mediaId ? await findStoredMedia(deps, user.tenantId, mediaId) : undefined;
  if (!mediaId || !media) throw notFound('media of this message');
  return { media, open: async (range) => (await openMedia(deps, user.tenantId, mediaId, range)).stream };
}
