import type { Actor } from '../auth/actor.js';
import { tenantUserOf } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { apiTime } from '../lib/time.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, toPage, type Page } from '../lib/pagination.js';
import { canonicalJid } from './identities.js';
import { lidsOfPhones } from './identity-repo.js';
import { isGroupJid, normalizeChatJid, phoneOf } from './jids.js';
import * as repo from './repo.js';
import { deviceOf } from './service.js';
import { toApiMessage, type ApiChat, type ApiContact, type ApiMessage } from './view.js';

async function readableDevice(deps: Deps, actor: Actor, deviceId: string): Promise<string> {
  const user = tenantUserOf(actor, 'messages');
  authorize(user, 'devices.read');
  await deviceOf(deps, user.tenantId, deviceId);
  return user.tenantId;
}

/** A device's chats, the most recently active first, each with its last message. */
export async function listChats(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
): Promise<Page<ApiChat>> {
  const tenantId = await readableDevice(deps, actor, deviceId);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await repo.listChats(deps.db.kysely, tenantId, deviceId, decodeCursor(query.cursor), limit);
  const page = rows.slice(0, limit);
  const last = new Map(
    (
      await repo.messagesByIds(
        deps.db.kysely,
        tenantId,
        page.map((c) => c.last_message_id),
      )
    ).map((m) => [m.id, m]),
  );
  const phones = page.map((c) => phoneOf(c.jid)).filter((p): p is string => p !== null);
  const lids = await lidsOfPhones(deps.db.kysely, tenantId, deviceId, phones);
  const chats: ApiChat[] = [];
  for (const c of page) {
    const message = last.get(c.last_message_id);
    if (!message) continue;
    const phone = phoneOf(c.jid);
    chats.push({
      id: c.id,
      device_id: c.device_id,
      jid: c.jid,
      type: isGroupJid(c.jid) ? 'group' : 'user',
      phone,
      lid: c.jid.endsWith('@lid') ? c.jid : phone ? (lids.get(phone) ?? null) : null,
      name: c.name,
      unread_count: c.unread_count,
      last_message: toApiMessage(message),
      last_message_at: apiTime(c.last_message_at),
      created_at: apiTime(c.created_at),
      updated_at: apiTime(c.updated_at),
    });
  }
  return { items: chats, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.last_message_id) : null };
}

/** One chat's messages, newest first (or oldest first with direction=newer), by keyset on the id. */
export async function chatMessages(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  chat: string,
  query: { limit?: number | undefined; cursor?: string | undefined; direction?: 'older' | 'newer' | undefined },
): Promise<Page<ApiMessage>> {
  const tenantId = await readableDevice(deps, actor, deviceId);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await repo.chatHistory(
    deps.db.kysely,
    tenantId,
    deviceId,
    await canonicalJid(deps.db.kysely, tenantId, deviceId, normalizeChatJid(chat, 'chat')),
    decodeCursor(query.cursor),
    limit,
    query.direction ?? 'older',
  );
  const page = toPage(rows, limit);
  return { items: page.items.map(toApiMessage), nextCursor: page.nextCursor };
}

export async function listContacts(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
): Promise<Page<ApiContact>> {
  const tenantId = await readableDevice(deps, actor, deviceId);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const page = toPage(await repo.listContacts(deps.db.kysely, tenantId, deviceId, decodeCursor(query.cursor), limit), limit);
  return {
    items: page.items.map((c) => ({
      jid: c.jid,
      phone: c.phone,
      lid: c.lid ?? (c.jid.endsWith('@lid') ? c.jid : null),
      name: c.name,
      on_whatsapp: c.on_whatsapp,
      checked_at: apiTime(c.checked_at),
      updated_at: apiTime(c.updated_at),
    })),
    nextCursor: page.nextCursor,
  };
}
