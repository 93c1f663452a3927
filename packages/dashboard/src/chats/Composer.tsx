import { useState, type FormEvent } from 'react';
import type { Message } from '../api/types';
import { useT } from '../i18n/I18nContext';
import { messageText } from './message-text';

interface Props {
  replyTo: Message | null;
  onCancelReply: () => void;
  onSend: (text: string) => Promise<void>;
}

/** The text box at the bottom of a chat; Enter sends, Shift+Enter breaks the line. */
export function Composer({ replyTo, onCancelReply, onSend }: Props) {
  const t = useT();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    setBusy(true);
    try {
      await onSend(value);
      setText('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="composer" onSubmit={(e) => void submit(e)}>
      {replyTo && (
        <p className="replying" data-testid="replying-to">
          <span>{t('composer.replyingTo', { text: messageText(replyTo, t) })}</span>
          <button type="button" className="link" onClick={onCancelReply}>
            {t('composer.cancelReply')}
          </button>
        </p>
      )}
      <div className="row">
        <textarea
          name="message"
          rows={1}
          aria-label={t('composer.placeholder')}
          placeholder={t('composer.placeholder')}
          maxLength={4096}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        <button type="submit" className="primary" disabled={busy || !text.trim()}>
          {t('composer.send')}
        </button>
      </div>
    </form>
  );
}
