import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Whether the device already has a conversation in the chat: it received a message there, or
 * WhatsApp took one it sent (sent, delivered, read). A restricted account may still write there.
 */
export async function hasConversation(db: Kysely<Database>, tenantId: string, deviceId: string, chatJid: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('chat_jid', '=', chatJid)
    .where((eb) => eb.or([eb('from_me', '=', false), eb('status', 'in', ['sent', 'delivered', 'read'])]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
