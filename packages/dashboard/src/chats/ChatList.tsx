import { useState, type FormEvent } from 'react';
import type { Chat } from '../api/types';
import { useT } from '../i18n/I18nContext';
import { href, navigate } from '../router';
import { chatJidFrom, chatTitle } from './chats-api';
import { messageText } from './message-text';

/** The device's chats, most recent first, and a way to start one with a phone number. */
export function ChatList({ deviceId, chats, current }: { deviceId: string; chats: Chat[] | null; current: string | undefined }) {
  const t = useT();
  const [number, setNumber] = useState('');
  const open = (event: FormEvent) => {
    event.preventDefault();
    const jid = chatJidFrom(number);
    if (!jid) return;
    setNumber('');
    navigate('chats', deviceId, jid);
  };
  return (
    <div className="chat-list">
      <form className="row" onSubmit={open}>
        <input
          name="new-chat"
          aria-label={t('chats.newChat')}
          placeholder={t('chats.newChat')}
          inputMode="tel"
          value={number}
          onChange={(e) => setNumber(e.target.value)}
        />
        <button type="submit">{t('chats.open')}</button>
      </form>
      {chats === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : chats.length === 0 ? (
        <p className="muted">{t('chats.empty')}</p>
      ) : (
        <ul>
          {chats.map((chat) => (
            <li key={chat.id}>
              <a
                href={href('chats', deviceId, chat.jid)}
                className="chat-entry"
                data-testid="chat"
                data-jid={chat.jid}
                aria-current={chat.jid === current ? 'page' : undefined}
              >
                <span className="chat-title">{chatTitle(chat)}</span>
                {chat.unread_count > 0 && (
                  <span className="badge unread" title={t('chats.unread', { count: chat.unread_count })}>
                    {chat.unread_count}
                  </span>
                )}
                <span className="chat-last muted">{messageText(chat.last_message, t)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
