import type { Message } from '../api/types';
import type { Translate } from '../i18n/I18nContext';

/** A message's content as one line of text: its text or caption, or its type for media. */
export function messageText(message: Message, t: Translate): string {
  if (message.deleted_at || !message.content) return t('message.deleted');
  const content = message.content;
  if (typeof content.text === 'string') return content.text;
  if (message.type === 'reaction' && typeof content.emoji === 'string') return t('message.reactedWith', { emoji: content.emoji });
  const caption = typeof content.caption === 'string' ? ` ${content.caption}` : '';
  const name = typeof content.name === 'string' ? ` ${content.name}` : '';
  return t('message.media', { type: message.type }) + (caption || name);
}
