import { useCallback, useEffect, useState } from 'react';
import type { LiveEvent, Message, MessageStatus } from '../api/types';
import { RECONNECTED } from '../events/live-events';
import { useLiveEvent } from '../events/LiveEventsContext';
import { listMessages } from './chats-api';

/** Messages by id, oldest first. */
function merge(current: Message[], incoming: Message[]): Message[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export interface Conversation {
  messages: Message[] | null;
  hasOlder: boolean;
  loadOlder(): void;
  /** Adds or replaces a message (one just sent, before its events arrive). */
  put(message: Message): void;
  error: unknown;
}

/**
 * A chat's messages, kept current by the live events: new and edited messages are added,
 * statuses (sent, delivered, read) applied as they come, and the latest page read again for
 * what an event does not carry whole (a reaction, a deletion) or after the stream reconnects.
 */
export function useConversation(deviceId: string, chat: string): Conversation {
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const loadLatest = useCallback(() => {
    listMessages(deviceId, chat).then((page) => {
      setMessages((current) => merge(current ?? [], page.messages));
      setCursor((known) => known ?? page.next_cursor);
    }, setError);
  }, [deviceId, chat]);

  useEffect(() => {
    setMessages(null);
    setCursor(null);
    loadLatest();
  }, [loadLatest]);

  const loadOlder = () => {
    if (!cursor) return;
    listMessages(deviceId, chat, cursor).then((page) => {
      setMessages((current) => merge(current ?? [], page.messages));
      setCursor(page.next_cursor);
    }, setError);
  };

  const put = useCallback((message: Message) => setMessages((current) => merge(current ?? [], [message])), []);

  const ours = (event: LiveEvent) => event.device_id === deviceId && (event.data.chat_jid ?? (event.data.message as Message | undefined)?.chat_jid) === chat;

  useLiveEvent(['message.*', RECONNECTED], (event) => {
    if (event.type === RECONNECTED) return loadLatest();
    if (!ours(event)) return;
    const message = event.data.message as Message | undefined;
    if (message) return put(message);
    if (event.type === 'message.status') {
      const { message_id: id, status, reason } = event.data as { message_id: string; status: MessageStatus; reason: string | null };
      setMessages((current) => current?.map((m) => (m.id === id ? { ...m, status, reason } : m)) ?? current);
      return;
    }
    loadLatest();
  });

  return { messages, hasOlder: cursor !== null, loadOlder, put, error };
}
