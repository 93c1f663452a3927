import type { Static } from 'typebox';
import type { MessagesTable } from '../db/schema.js';
import { apiTime } from '../lib/time.js';
import type { MessageContent } from '../whatsapp/messages.js';
import type { ChatSchema, ContactSchema, MessageSchema } from './schemas.js';

export type MessageRow = Omit<MessagesTable, 'attempts'> & { attempts: number };
export type ApiMessage = Static<typeof MessageSchema>;

export function parseContent(row: Pick<MessageRow, 'content_json'>): MessageContent {
  return JSON.parse(row.content_json) as MessageContent;
}

/** What the API shows of a content: the poll's vote secret never leaves. */
function publicContent(content: MessageContent): Record<string, unknown> {
  const { type: _type, ...fields } = content as MessageContent & { secret?: string };
  if ('secret' in fields) delete fields.secret;
  return fields;
}

export function toApiMessage(row: MessageRow): ApiMessage {
  return {
    id: row.id,
    device_id: row.device_id,
    chat_jid: row.chat_jid,
    wa_id: row.wa_id,
    direction: row.from_me ? 'outbound' : 'inbound',
    sender_jid: row.sender_jid,
    type: row.type,
    content: row.deleted_at ? null : publicContent(parseContent(row)),
    quoted_message_id: row.quoted_message_id,
    quoted_wa_id: row.quoted_wa_id,
    target_message_id: row.target_message_id,
    target_wa_id: row.target_wa_id,
    status: row.status,
    reason: row.reason,
    attempts: row.attempts,
    wa_timestamp: apiTime(row.wa_timestamp),
    edited_at: apiTime(row.edited_at),
    deleted_at: apiTime(row.deleted_at),
    expires_at: apiTime(row.expires_at),
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
  };
}

export type ApiChat = Static<typeof ChatSchema>;
export type ApiContact = Static<typeof ContactSchema>;
