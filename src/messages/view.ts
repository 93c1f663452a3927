import type { Static } from 'typebox';
import type { MessagesTable } from '../db/schema.js';
import { apiTime } from '../lib/time.js';
import { MEDIA_TYPES, type MediaContent, type MessageContent } from '../whatsapp/messages.js';
import { storedParty } from './identities.js';
import { isGroupJid } from './jids.js';
import type { ChatSchema, ContactSchema, MessageSchema } from './schemas.js';

/** A message row; the columns of migration 0012 are optional so that rows built before it stay valid. */
export type MessageRow = Omit<MessagesTable, 'attempts' | 'sender_lid' | 'chat_lid' | 'recipient_count'> & {
  attempts: number;
  sender_lid?: string | null | undefined;
  chat_lid?: string | null | undefined;
  recipient_count?: number | null | undefined;
};
export type ApiMessage = Static<typeof MessageSchema>;

export function parseContent(row: Pick<MessageRow, 'content_json'>): MessageContent {
  return JSON.parse(row.content_json) as MessageContent;
}

/**
 * A media message's file as the API and events show it: where it stands (`stored`, `pending`
 * while WUTS downloads it, `failed`) and where to get it. Messages stored before media were
 * kept have no file (`state` null).
 */
function mediaView(messageId: string, c: MediaContent): Record<string, unknown> {
  const state = c.state ?? (c.media_id ? 'stored' : null);
  return {
    id: c.media_id ?? null,
    state,
    mime_type: c.mimetype,
    size: c.size ?? null,
    sha256: c.sha256 ?? null,
    filename: c.file_name ?? null,
    caption: c.caption ?? null,
    duration_seconds: c.seconds ?? null,
    width: c.width ?? null,
    height: c.height ?? null,
    voice_note: c.voice_note ?? false,
    view_once: c.view_once ?? false,
    ...(c.waveform ? { waveform: c.waveform } : {}),
    download_path: state === 'stored' ? `/messages/${messageId}/media` : null,
  };
}

/** What the API shows of a content: the poll's vote secret never leaves; media gets its `media` view. */
function publicContent(messageId: string, content: MessageContent): Record<string, unknown> {
  const { type: _type, ...fields } = content as MessageContent & { secret?: string };
  if ('secret' in fields) delete fields.secret;
  if (isMedia(content)) {
    const { media_id: _id, state: _state, sha256: _sha, width: _w, height: _h, view_once: _v, waveform: _wf, ...legacy } = fields as MediaContent;
    return { ...legacy, media: mediaView(messageId, content) };
  }
  return fields;
}

export function isMedia(content: MessageContent): content is MediaContent {
  return (MEDIA_TYPES as readonly string[]).includes(content.type);
}

export function toApiMessage(row: MessageRow): ApiMessage {
  return {
    id: row.id,
    device_id: row.device_id,
    chat_jid: row.chat_jid,
    wa_id: row.wa_id,
    direction: row.from_me ? 'outbound' : 'inbound',
    sender_jid: row.sender_jid,
    sender: row.from_me ? null : storedParty(row.sender_jid, row.sender_lid),
    recipient: row.from_me && !isGroupJid(row.chat_jid) ? storedParty(row.chat_jid, row.chat_lid) : null,
    type: row.type,
    content: row.deleted_at ? null : publicContent(row.id, parseContent(row)),
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
