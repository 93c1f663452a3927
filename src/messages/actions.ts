import type { Actor } from '../auth/actor.js';
import { tenantUserOf } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { conflict, badRequest } from '../lib/errors.js';
import { RateWindow } from '../lib/rate-window.js';
import { nowIso } from '../lib/time.js';
import type { NumberCheck, PresenceState } from '../whatsapp/messages.js';
import type { DeviceCommands } from '../devices/commands.js';
import { canonicalJid, rememberIdentities } from './identities.js';
import { normalizeChatJid } from './jids.js';
import { PHONE_DIGITS, PHONE_FORM, phoneDigits } from '../lib/phone.js';
import * as repo from './repo.js';
import { deviceOf } from './service.js';

/** A device of the caller's tenant that is connected, for actions that talk to WhatsApp now. */
async function connectedDevice(deps: Deps, actor: Actor, deviceId: string): Promise<{ tenantId: string; devices: DeviceCommands }> {
  const user = tenantUserOf(actor, 'messages');
  authorize(user, 'messages.send');
  await deviceOf(deps, user.tenantId, deviceId);
  const devices = deps.bus.devices();
  if (!(await devices.isConnected(deviceId))) throw conflict('the device is not connected', 'device_not_connected');
  return { tenantId: user.tenantId, devices };
}

/** Marks a chat's received messages read (all unread, or the ones named) and sends read receipts. */
export async function markRead(deps: Deps, actor: Actor, deviceId: string, body: { chat: string; message_ids?: string[] | undefined }): Promise<number> {
  const asked = normalizeChatJid(body.chat, 'chat');
  const { tenantId, devices } = await connectedDevice(deps, actor, deviceId);
  const db = deps.db.kysely;
  const chatJid = await canonicalJid(db, tenantId, deviceId, asked);
  const unread = await repo.unreadInbound(db, tenantId, deviceId, chatJid, body.message_ids);
  if (unread.length > 0) {
    await devices.markRead(
      deviceId,
      unread.map((m) => ({ chatJid: m.chat_jid, waId: m.wa_id, fromMe: false, senderJid: m.sender_jid, senderLid: m.sender_lid ?? null })),
    );
    const now = nowIso();
    await repo.markInboundRead(
      db,
      tenantId,
      unread.map((m) => m.id),
      now,
    );
    await repo.setChatUnread(db, tenantId, deviceId, chatJid, await repo.countUnread(db, tenantId, deviceId, chatJid), now);
  }
  return unread.length;
}

export class CheckNumbersLimit {
  private readonly window: RateWindow;
  constructor(deps: Deps) {
    this.window = new RateWindow(deps.config.checkNumbersPerMinute, 60_000);
  }
  take(deviceId: string): void {
    this.window.enforce(deviceId, 'too many number checks for this device: wait and try again');
  }
}

/** A number as people write it (`+55 11 98765-4321`), as digits; 400 naming the field when it is none. */
function checkedPhone(input: string, field: string): string {
  const digits = phoneDigits(input);
  if (!PHONE_DIGITS.test(digits)) throw badRequest(`field ${JSON.stringify(field)} must be ${PHONE_FORM}`, 'invalid_request');
  return digits;
}

/** Which numbers are on WhatsApp; the answers are kept as the device's contacts. */
export async function checkNumbers(deps: Deps, limit: CheckNumbersLimit, actor: Actor, deviceId: string, numbers: string[]): Promise<NumberCheck[]> {
  const phones = [...new Set(numbers.map((n, i) => checkedPhone(n, `numbers[${i}]`)))];
  const { tenantId, devices } = await connectedDevice(deps, actor, deviceId);
  limit.take(deviceId);
  const results = await devices.checkNumbers(deviceId, phones);
  // a LID learned here first merges what was kept under it
  await rememberIdentities(
    deps,
    tenantId,
    deviceId,
    results.flatMap((r) => (r.lid ? [{ lid: r.lid, phone: r.phone }] : [])),
  );
  const now = nowIso();
  for (const r of results) {
    await repo.upsertContact(deps.db.kysely, tenantId, deviceId, {
      jid: r.jid ?? `${r.phone}@s.whatsapp.net`,
      phone: r.phone,
      lid: r.lid ?? null,
      onWhatsApp: r.on_whatsapp,
      at: now,
    });
  }
  return results;
}

export async function sendPresence(deps: Deps, actor: Actor, deviceId: string, body: { state: PresenceState; chat?: string | undefined }): Promise<void> {
  const toChat = body.state === 'typing' || body.state === 'recording' || body.state === 'paused';
  if (toChat && !body.chat) throw badRequest(`${body.state} needs \`chat\``, 'missing_field');
  if (!toChat && body.chat) throw badRequest(`${body.state} is the account's own presence: leave out \`chat\``, 'field_not_allowed');
  const chatJid = body.chat ? normalizeChatJid(body.chat, 'chat') : undefined;
  const { devices } = await connectedDevice(deps, actor, deviceId);
  await devices.sendPresence(deviceId, body.state, chatJid);
}
