import type { Deps } from '../deps.js';
import { findRestriction } from '../devices/restriction-repo.js';
import { inForce } from '../devices/restriction-view.js';
import { accountRestrictedReason } from '../whatsapp/restrictions.js';
import { hasConversation } from './conversation-repo.js';
import { isGroupJid } from './jids.js';

/**
 * Why a message may not go now because the account is restricted: while a restriction is in
 * force, a one-to-one chat the device never had a conversation in is refused at once (sending
 * would only count as one more reach-out). Existing chats and groups go on. Null: it may go.
 */
export async function newChatRefusal(deps: Deps, tenantId: string, message: { device_id: string; chat_jid: string }): Promise<string | null> {
  if (isGroupJid(message.chat_jid)) return null;
  const db = deps.db.kysely;
  const restriction = await findRestriction(db, tenantId, message.device_id);
  if (!restriction || !inForce(restriction)) return null;
  if (await hasConversation(db, tenantId, message.device_id, message.chat_jid)) return null;
  return accountRestrictedReason(restriction);
}
