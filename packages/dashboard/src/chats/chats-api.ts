import { api, query } from '../api/client';
import type { Chat, Message } from '../api/types';

export const listChats = (deviceId: string) => api<{ chats: Chat[] }>('GET', `/devices/${deviceId}/chats?limit=100`).then((a) => a.chats);

/** A page of the chat's history, newest first; `cursor` continues to older messages. */
export const listMessages = (deviceId: string, chat: string, cursor?: string) =>
  api<{ messages: Message[]; next_cursor: string | null }>(
    'GET',
    `/devices/${deviceId}/chats/${encodeURIComponent(chat)}/messages${query({ limit: 50, cursor })}`,
  );

export const sendText = (deviceId: string, to: string, text: string, replyTo?: string) =>
  api<{ message: Message }>('POST', `/devices/${deviceId}/messages`, { type: 'text', to, text, ...(replyTo ? { reply_to: replyTo } : {}) }).then(
    (a) => a.message,
  );

export const sendReaction = (deviceId: string, messageId: string, emoji: string) =>
  api<{ message: Message }>('POST', `/devices/${deviceId}/messages`, { type: 'reaction', message_id: messageId, emoji }).then((a) => a.message);

export const markChatRead = (deviceId: string, chat: string) => api<{ read: number }>('POST', `/devices/${deviceId}/read`, { chat });

/** A chat's JID from what a user types: a JID as it is, digits as a phone number's JID. */
export function chatJidFrom(input: string): string | null {
  const value = input.trim();
  if (value.includes('@')) return value;
  const digits = value.replace(/\D/g, '');
  return digits.length >= 6 && digits.length <= 15 ? `${digits}@s.whatsapp.net` : null;
}

/** How a chat is named: its name, else its phone number, else its JID. */
export function chatTitle(chat: Pick<Chat, 'name' | 'phone' | 'jid'>): string {
  return chat.name || (chat.phone ? `+${chat.phone}` : chat.jid);
}
