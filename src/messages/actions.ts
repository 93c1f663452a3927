import type { Actor } from '../auth/actor.js';
import { tenantUserOf } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { AppContext } from '../context.js';
import { conflict, tooManyRequests, badRequest } from '../lib/errors.js';
import { RateWindow } from '../lib/rate-window.js';
import { nowIso } from '../lib/time.js';
import type { NumberCheck, PresenceState } from '../whatsapp/messages.js';
import type { DeviceSession } from '../whatsapp/provider.js';
import { normalizeChatJid } from './jids.js';
import * as repo from './repo.js';
import { deviceOf } from './service.js';

/** The connected session of a device of the caller's tenant, for actions that talk to WhatsApp now. */
async function connectedSession(ctx: AppContext, actor: Actor, deviceId: string): Promise<{ tenantId: string; session: DeviceSession }> {
  const user = tenantUserOf(actor, 'messages');
  authorize(user, 'messages.send');
  await deviceOf(ctx, user.tenantId, deviceId);
  const live = ctx.devices.live(deviceId);
  if (!live?.session.isOpen) throw conflict('the device is not connected', 'device_not_connected');
  return { tenantId: user.tenantId, session: live.session };
}

/** Marks a chat's received messages read (all unread, or the ones named) and sends read receipts. */
export async function markRead(ctx: AppContext, actor: Actor, deviceId: string, body: { chat: string; message_ids?: string[] | undefined }): Promise<number> {
  const chatJid = normalizeChatJid(body.chat, 'chat');
  const { tenantId, session } = await connectedSession(ctx, actor, deviceId);
  const db = ctx.db.kysely;
  const unread = await repo.unreadInbound(db, tenantId, deviceId, chatJid, body.message_ids);
  if (unread.length > 0) {
    await session.markRead(unread.map((m) => ({ chatJid: m.chat_jid, waId: m.wa_id, fromMe: false, senderJid: m.sender_jid })));
    const now = nowIso();
    await repo.markInboundRead(db, tenantId, unread.map((m) => m.id), now);
    await repo.setChatUnread(db, tenantId, deviceId, chatJid, await repo.countUnread(db, tenantId, deviceId, chatJid), now);
  }
  return unread.length;
}

export class CheckNumbersLimit {
  private readonly window: RateWindow;
  constructor(ctx: AppContext) {
    this.window = new RateWindow(ctx.config.checkNumbersPerMinute, 60_000);
  }
  take(deviceId: string): void {
    const wait = this.window.take(deviceId);
    if (wait > 0) throw tooManyRequests(wait, 'too many number checks for this device: wait and try again');
  }
}

/** Which numbers are on WhatsApp; the answers are kept as the device's contacts. */
export async function checkNumbers(ctx: AppContext, limit: CheckNumbersLimit, actor: Actor, deviceId: string, numbers: string[]): Promise<NumberCheck[]> {
  const { tenantId, session } = await connectedSession(ctx, actor, deviceId);
  limit.take(deviceId);
  const phones = [...new Set(numbers.map((n) => n.replace(/^\+/, '')))];
  const results = await session.checkNumbers(phones);
  const now = nowIso();
  for (const r of results) {
    await repo.upsertContact(ctx.db.kysely, tenantId, deviceId, { jid: r.jid ?? `${r.phone}@s.whatsapp.net`, phone: r.phone, onWhatsApp: r.on_whatsapp, at: now });
  }
  return results;
}

export async function sendPresence(ctx: AppContext, actor: Actor, deviceId: string, body: { state: PresenceState; chat?: string | undefined }): Promise<void> {
  const toChat = body.state === 'typing' || body.state === 'recording' || body.state === 'paused';
  if (toChat && !body.chat) throw badRequest(`${body.state} needs \`chat\``, 'missing_field');
  if (!toChat && body.chat) throw badRequest(`${body.state} is the account's own presence: leave out \`chat\``, 'field_not_allowed');
  const chatJid = body.chat ? normalizeChatJid(body.chat, 'chat') : undefined;
  const { session } = await connectedSession(ctx, actor, deviceId);
  await session.sendPresence(body.state, chatJid);
}
