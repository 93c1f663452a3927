import type { AppContext } from '../context.js';
import { withOutbox } from '../events/outbox.js';
import { newId } from '../lib/ids.js';
import { nowIso } from '../lib/time.js';
import type { InboundMessage } from '../whatsapp/messages.js';
import { phoneOf } from './jids.js';
import * as repo from './repo.js';
import { parseContent, toApiMessage, type MessageRow } from './view.js';

/**
 * Stores what a device received, each message in its own transaction with its event. A
 * message WhatsApp hands over twice (a redelivery after a reconnect) is stored once: the
 * WhatsApp key is unique per device and chat.
 */
export async function storeInbound(ctx: AppContext, tenantId: string, deviceId: string, messages: InboundMessage[]): Promise<void> {
  for (const m of messages) await storeOne(ctx, tenantId, deviceId, m);
}

async function storeOne(ctx: AppContext, tenantId: string, deviceId: string, m: InboundMessage): Promise<void> {
  await withOutbox(ctx, async (trx, emit) => {
    const now = nowIso();
    const related = async (waId: string | null, fromMe?: boolean) => (waId ? repo.findByWaId(trx, tenantId, deviceId, m.chatJid, waId, fromMe) : undefined);
    // an edit or a delete applies to a message of the same sender
    const target = m.targetWaId ? await related(m.targetWaId, m.content.type === 'edit' || m.content.type === 'delete' ? m.fromMe : undefined) : undefined;
    const quoted = await related(m.quotedWaId);
    const row: Omit<MessageRow, 'tenant_id'> = {
      id: newId(),
      device_id: deviceId,
      chat_jid: m.chatJid,
      wa_id: m.waId,
      from_me: m.fromMe,
      sender_jid: m.senderJid,
      type: m.content.type,
      content_json: JSON.stringify(m.content),
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
      edited_at: null,
      deleted_at: null,
      created_at: now,
      updated_at: now,
    };
    if (!(await repo.insertMessageOnce(trx, tenantId, row))) return;
    const stored = { ...row, tenant_id: tenantId };
    const event = { tenantId, deviceId };
    if (!m.fromMe) await repo.upsertContact(trx, tenantId, deviceId, { jid: m.chatJid, phone: phoneOf(m.chatJid), name: m.pushName, at: now });

    switch (m.content.type) {
      case 'edit': {
        if (!target || target.deleted_at) return;
        const before = parseContent(target);
        const previousText = before.type === 'text' ? before.text : 'caption' in before ? (before.caption ?? null) : null;
        const after = before.type === 'text' ? { ...before, text: m.content.text } : 'caption' in before ? { ...before, caption: m.content.text } : before;
        await repo.updateMessage(trx, tenantId, target.id, { content_json: JSON.stringify(after), edited_at: now, updated_at: now });
        const edited = { ...target, content_json: JSON.stringify(after), edited_at: now, updated_at: now };
        await emit({ ...event, type: 'message.edited', data: { message: toApiMessage(edited), previous_text: previousText } });
        return;
      }
      case 'delete': {
        if (!target || target.deleted_at) return;
        await repo.updateMessage(trx, tenantId, target.id, { deleted_at: now, content_json: JSON.stringify({ type: target.type }), updated_at: now });
        await emit({ ...event, type: 'message.deleted', data: { message_id: target.id, wa_id: target.wa_id, chat_jid: target.chat_jid, sender_jid: target.sender_jid } });
        return;
      }
      case 'reaction':
        await emit({
          ...event,
          type: 'message.reaction',
          data: { message_id: row.id, target_message_id: target?.id ?? null, target_wa_id: m.targetWaId ?? '', chat_jid: m.chatJid, sender_jid: m.senderJid, emoji: m.content.emoji },
        });
        return;
      case 'poll_vote':
        await emit({ ...event, type: 'message.received', data: { message: toApiMessage(stored) } });
        return;
      default:
        await repo.touchChat(trx, tenantId, deviceId, { jid: m.chatJid, messageId: row.id, at: now, unread: !m.fromMe, name: m.fromMe ? null : m.pushName });
        await emit({ ...event, type: 'message.received', data: { message: toApiMessage(stored) } });
    }
  });
}
