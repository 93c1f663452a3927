import type { Transaction } from 'kysely';
import type { Deps } from '../deps.js';
import type { Database } from '../db/schema.js';
import { withOutbox } from '../events/outbox.js';
import { newId } from '../lib/ids.js';
import { nowIso } from '../lib/time.js';
import type { InboundMessage } from '../whatsapp/messages.js';
import { canonicalJid, storedParty } from './identities.js';
import { isGroupJid, phoneOf } from './jids.js';
import * as repo from './repo.js';
import type { DownloadSource } from './media-downloads.js';
import { createPendingMedia } from '../media/service.js';
import { isMedia, parseContent, toApiMessage, type MessageRow } from './view.js';

/**
 * A message deleted before WUTS saw it: Baileys' event buffer drops a message whose delete
 * arrives in the same batch (an offline batch, typically). It is kept as deleted, without content.
 */
async function storeDeletedUnseen(trx: Transaction<Database>, tenantId: string, deviceId: string, del: InboundMessage, now: string): Promise<MessageRow> {
  const row: MessageRow = {
    id: newId(),
    tenant_id: tenantId,
    device_id: deviceId,
    chat_jid: del.chatJid,
    wa_id: del.targetWaId ?? '',
    from_me: del.fromMe,
    sender_jid: del.senderJid,
    sender_lid: del.senderLid ?? null,
    type: 'unsupported',
    content_json: JSON.stringify({ type: 'unsupported', wa_type: 'deleted_before_received' }),
    quoted_wa_id: null,
    quoted_message_id: null,
    target_wa_id: null,
    target_message_id: null,
    status: del.fromMe ? 'sent' : 'received',
    reason: null,
    attempts: 0,
    next_attempt_at: null,
    expires_at: null,
    created_by: null,
    wa_timestamp: del.timestamp,
    edited_at: null,
    deleted_at: now,
    created_at: now,
    updated_at: now,
  };
  await repo.insertMessageOnce(trx, tenantId, row);
  return row;
}

/**
 * Stores what a device received, each message in its own transaction with its event. A
 * message WhatsApp hands over twice (a redelivery after a reconnect) is stored once: the
 * WhatsApp key is unique per device and chat. A message that cannot be stored is logged with
 * its key and the others are still stored: WhatsApp has the batch acknowledged already.
 */
export async function storeInbound(deps: Deps, tenantId: string, deviceId: string, messages: InboundMessage[]): Promise<void> {
  for (const m of messages) {
    try {
      await storeReceived(deps, tenantId, deviceId, m);
    } catch (err) {
      const key = { chatJid: m.chatJid, waId: m.waId, fromMe: m.fromMe };
      deps.logger.error({ err, tenantId, deviceId, key }, 'storing a received message failed; going on with the next');
    }
  }
}

/** Stores one received message with its event, in one transaction; throws when it could not. */
export async function storeReceived(deps: Deps, tenantId: string, deviceId: string, received: InboundMessage): Promise<void> {
  let downloadsQueued = false;
  await withOutbox(deps, async (trx, emit) => {
    const now = nowIso();
    // users are keyed by phone number once WUTS knows it (identities.ts)
    const m: InboundMessage = {
      ...received,
      chatJid: await canonicalJid(trx, tenantId, deviceId, received.chatJid),
      senderJid: received.senderJid ? await canonicalJid(trx, tenantId, deviceId, received.senderJid) : null,
    };
    const group = isGroupJid(m.chatJid);
    const sender = storedParty(m.senderJid, m.senderLid);
    const related = async (waId: string | null, fromMe?: boolean) => (waId ? repo.findByWaId(trx, tenantId, deviceId, m.chatJid, waId, fromMe) : undefined);
    // an edit or a delete applies to a message of the same sender
    const target = m.targetWaId ? await related(m.targetWaId, m.content.type === 'edit' || m.content.type === 'delete' ? m.fromMe : undefined) : undefined;
    const quoted = await related(m.quotedWaId);
    const messageId = newId();
    // a media file is downloaded after the commit (WhatsApp waits for no download): pending until then
    const media = m.download && isMedia(m.content) ? { id: newId(), download: m.download } : undefined;
    const content = media ? { ...m.content, media_id: media.id, state: 'pending' as const } : m.content;
    const row: Omit<MessageRow, 'tenant_id'> = {
      id: messageId,
      device_id: deviceId,
      chat_jid: m.chatJid,
      wa_id: m.waId,
      from_me: m.fromMe,
      sender_jid: m.senderJid,
      sender_lid: m.senderLid ?? null,
      chat_lid: group ? null : (m.chatLid ?? null),
      recipient_count: null,
      type: m.content.type,
      content_json: JSON.stringify(content),
      quoted_wa_id: m.quotedWaId,
      quoted_message_id: quoted?.id ?? null,
      target_wa_id: m.targetWaId,
      target_message_id: target?.id ?? null,
      status: m.fromMe ? 'sent' : 'received',
      reason: null,
      attempts: 0,
      next_attempt_at: null,
      expires_at: null,
      created_by: null,
      wa_timestamp: m.timestamp,
      edited_at: m.editedBeforeReceived ? now : null,
      deleted_at: null,
      created_at: now,
      updated_at: now,
    };
    if (!(await repo.insertMessageOnce(trx, tenantId, row))) return;
    if (media && isMedia(m.content)) {
      const ref = { chatJid: m.chatJid, waId: m.waId, fromMe: m.fromMe, senderJid: m.senderJid };
      const source: DownloadSource = { device_id: deviceId, ref, download: media.download };
      await createPendingMedia(
        deps,
        tenantId,
        { id: media.id, messageId, mimeType: m.content.mimetype ?? 'application/octet-stream', filename: m.content.file_name, source },
        trx,
      );
      downloadsQueued = true;
    }
    const stored = { ...row, tenant_id: tenantId };
    const event = { tenantId, deviceId };
    if (!m.fromMe && m.senderJid)
      await repo.upsertContact(trx, tenantId, deviceId, { jid: m.senderJid, phone: phoneOf(m.senderJid), lid: m.senderLid ?? null, name: m.pushName, at: now });

    switch (m.content.type) {
      case 'edit': {
        if (!target || target.deleted_at) return;
        const before = parseContent(target);
        const beforeText = before.type === 'text' ? before.text : 'caption' in before ? (before.caption ?? null) : null;
        // stored already edited (see editedBeforeReceived): the text before the edit never reached WUTS
        const previousText = target.edited_at && beforeText === m.content.text ? null : beforeText;
        const after = before.type === 'text' ? { ...before, text: m.content.text } : 'caption' in before ? { ...before, caption: m.content.text } : before;
        await repo.updateMessage(trx, tenantId, target.id, { content_json: JSON.stringify(after), edited_at: now, updated_at: now });
        const edited = { ...target, content_json: JSON.stringify(after), edited_at: now, updated_at: now };
        await emit({ ...event, type: 'message.edited', data: { message: toApiMessage(edited), previous_text: previousText } });
        return;
      }
      case 'delete': {
        if (target?.deleted_at) return;
        const deleted = target ? { ...target, deleted_at: now } : await storeDeletedUnseen(trx, tenantId, deviceId, m, now);
        if (target)
          await repo.updateMessage(trx, tenantId, target.id, { deleted_at: now, content_json: JSON.stringify({ type: target.type }), updated_at: now });
        await emit({
          ...event,
          type: 'message.deleted',
          data: { message_id: deleted.id, wa_id: deleted.wa_id, chat_jid: deleted.chat_jid, sender_jid: deleted.sender_jid, sender },
        });
        return;
      }
      case 'reaction':
        await emit({
          ...event,
          type: 'message.reaction',
          data: {
            message_id: row.id,
            target_message_id: target?.id ?? null,
            target_wa_id: m.targetWaId ?? '',
            chat_jid: m.chatJid,
            sender_jid: m.senderJid,
            sender,
            emoji: m.content.emoji,
          },
        });
        return;
      case 'poll_vote':
        await emit({ ...event, type: 'message.received', data: { message: toApiMessage(stored), push_name: m.pushName || null } });
        return;
      default:
        await repo.touchChat(trx, tenantId, deviceId, {
          jid: m.chatJid,
          messageId: row.id,
          at: now,
          unread: !m.fromMe,
          // a group is named by its subject, a user by the profile name it sent
          name: group ? (m.chatName ?? null) : m.fromMe ? null : m.pushName,
        });
        await emit({ ...event, type: 'message.received', data: { message: toApiMessage(stored), push_name: m.pushName || null } });
    }
  });
  if (downloadsQueued) deps.bus.wakeMediaDownloads();
}
