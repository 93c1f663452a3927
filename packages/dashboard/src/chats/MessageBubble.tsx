import { useState } from 'react';
import type { Message } from '../api/types';
import { useT } from '../i18n/I18nContext';
import { messageText } from './message-text';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

const TICKS: Partial<Record<Message['status'], string>> = { queued: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

interface Props {
  message: Message;
  quoted: Message | undefined;
  reactions: string[];
  mayAct: boolean;
  onReply: () => void;
  onReact: (emoji: string) => void;
}

/** One message: its text, the message it quotes, its reactions, its time and (sent ones) its status. */
export function MessageBubble({ message, quoted, reactions, mayAct, onReply, onReact }: Props) {
  const t = useT();
  const [picking, setPicking] = useState(false);
  const time = new Date(message.wa_timestamp ?? message.created_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <li className={`bubble ${message.direction}`} data-testid="message" data-message-id={message.id} data-direction={message.direction}>
      {quoted && <blockquote className="quoted">{messageText(quoted, t)}</blockquote>}
      <p className="bubble-text" data-testid="message-text">
        {messageText(message, t)}
      </p>
      {reactions.length > 0 && (
        <span className="reactions" data-testid="reactions">
          {reactions.join(' ')}
        </span>
      )}
      <span className="bubble-meta">
        <time dateTime={message.created_at}>{time}</time>
        {message.direction === 'outbound' && (
          <span
            className={`msg-status msg-${message.status}`}
            data-testid="message-status"
            data-status={message.status}
            title={message.reason ?? t(`msgstatus.${message.status}`)}
          >
            {TICKS[message.status] ?? ''} {t(`msgstatus.${message.status}`)}
          </span>
        )}
      </span>
      {mayAct && !message.deleted_at && (
        <span className="bubble-actions">
          <button type="button" className="link" data-action="reply" onClick={onReply}>
            {t('message.reply')}
          </button>
          <button type="button" className="link" data-action="react" aria-expanded={picking} onClick={() => setPicking(!picking)}>
            {t('message.react')}
          </button>
          {picking &&
            REACTIONS.map((emoji) => (
              <button
                key={emoji}
                type="button"
                className="emoji"
                data-emoji={emoji}
                onClick={() => {
                  setPicking(false);
                  onReact(emoji);
                }}
              >
                {emoji}
              </button>
            ))}
        </span>
      )}
    </li>
  );
}
