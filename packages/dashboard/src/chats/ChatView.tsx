import { useEffect, useMemo, useRef, useState } from 'react';
import type { Message } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import { useT } from '../i18n/I18nContext';
import { href } from '../router';
import { ErrorNote } from '../shell/ErrorNote';
import { markChatRead, sendReaction, sendText } from './chats-api';
import { Composer } from './Composer';
import { MessageBubble } from './MessageBubble';
import { useConversation } from './use-conversation';

/** Reactions folded into the messages they react to: the latest emoji of each side (us, them). */
function reactionsByTarget(messages: Message[]): Map<string, string[]> {
  const latest = new Map<string, Map<string, string>>();
  for (const m of messages) {
    if (m.type !== 'reaction' || !m.target_message_id || !m.content) continue;
    const byWho = latest.get(m.target_message_id) ?? new Map<string, string>();
    byWho.set(`${m.direction}:${m.sender_jid ?? ''}`, String(m.content.emoji ?? ''));
    latest.set(m.target_message_id, byWho);
  }
  return new Map([...latest].map(([id, byWho]) => [id, [...byWho.values()].filter(Boolean)]));
}

/** One conversation: its messages, live, and the composer (for roles that may send). */
export function ChatView({ deviceId, chat, title }: { deviceId: string; chat: string; title: string }) {
  const t = useT();
  const { session } = useAuth();
  const maySend = can(session, 'messages.send');
  const { messages, hasOlder, loadOlder, put, error: loadError } = useConversation(deviceId, chat);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [error, setError] = useState<unknown>(null);
  const end = useRef<HTMLDivElement>(null);

  const shown = useMemo(() => (messages ?? []).filter((m) => m.type !== 'reaction'), [messages]);
  const reactions = useMemo(() => reactionsByTarget(messages ?? []), [messages]);
  const byId = useMemo(() => new Map((messages ?? []).map((m) => [m.id, m])), [messages]);
  const unread = shown.some((m) => m.direction === 'inbound' && m.status === 'received');
  const lastId = shown[shown.length - 1]?.id;

  // What is on screen is read: received messages are marked read as they show.
  useEffect(() => {
    if (unread && maySend) markChatRead(deviceId, chat).catch(() => undefined);
  }, [unread, maySend, deviceId, chat, lastId]);

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [lastId]);

  const send = async (text: string) => {
    try {
      put(await sendText(deviceId, chat, text, replyTo?.id));
      setReplyTo(null);
    } catch (e) {
      setError(e);
      throw e;
    }
  };
  const react = (target: Message, emoji: string) => {
    sendReaction(deviceId, target.id, emoji).then(put, setError);
  };

  return (
    <section className="chat-view" data-testid="chat-view" data-chat={chat}>
      <header className="chat-head">
        <a className="back" href={href('chats', deviceId)}>
          ‹ {t('chats.back')}
        </a>
        <strong>{title}</strong>
      </header>
      <ErrorNote error={error ?? loadError} onDismiss={() => setError(null)} />
      <div className="messages">
        {hasOlder && (
          <button type="button" className="link" onClick={loadOlder}>
            {t('chats.olderMessages')}
          </button>
        )}
        {messages === null ? (
          <p className="muted">{t('app.loading')}</p>
        ) : shown.length === 0 ? (
          <p className="muted">{t('chats.noMessages')}</p>
        ) : (
          <ul>
            {shown.map((m) => (
              <MessageBubble
                key={m.id}
                message={m}
                quoted={m.quoted_message_id ? byId.get(m.quoted_message_id) : undefined}
                reactions={reactions.get(m.id) ?? []}
                mayAct={maySend}
                onReply={() => setReplyTo(m)}
                onReact={(emoji) => react(m, emoji)}
              />
            ))}
          </ul>
        )}
        <div ref={end} />
      </div>
      {maySend && <Composer replyTo={replyTo} onCancelReply={() => setReplyTo(null)} onSend={send} />}
    </section>
  );
}
