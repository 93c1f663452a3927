import { useT } from '../i18n/I18nContext';
import { href } from '../router';
import type { Contact } from './contacts-api';

/** One contact: name, number, whether it is on WhatsApp, and a link to its chat. */
export function ContactRow({ deviceId, contact }: { deviceId: string; contact: Contact }) {
  const t = useT();
  const title = contact.name || (contact.phone ? `+${contact.phone}` : contact.jid);
  return (
    <li className="card item" data-testid="contact" data-jid={contact.jid}>
      <div className="item-head">
        <span className="item-title">{title}</span>
        {contact.on_whatsapp !== null && (
          <span className={`badge ${contact.on_whatsapp ? 'ok' : 'bad'}`}>{contact.on_whatsapp ? t('contacts.onWhatsApp') : t('contacts.notOnWhatsApp')}</span>
        )}
      </div>
      <div className="item-meta">
        {contact.phone && contact.name && <span>+{contact.phone}</span>}
        {!contact.phone && <span>{contact.jid}</span>}
      </div>
      <div className="actions">
        <a href={href('chats', deviceId, contact.jid)} data-action="open-chat">
          {t('contacts.openChat')}
        </a>
      </div>
    </li>
  );
}
