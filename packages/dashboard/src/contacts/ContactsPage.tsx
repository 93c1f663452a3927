import { useCallback, useEffect, useRef, useState } from 'react';
import type { Device } from '../api/types';
import '../common/admin-pages.css';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { DevicePicker } from '../devices/DevicePicker';
import { listDevices } from '../devices/devices-api';
import { RECONNECTED } from '../events/live-events';
import { useLiveEvent } from '../events/LiveEventsContext';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { navigate } from '../router';
import { ErrorNote } from '../shell/ErrorNote';
import { ContactRow } from './ContactRow';
import { contactMatches, listContacts } from './contacts-api';

const RELOAD_DELAY_MS = 500;

/** `#/contacts/<device id>`: a device's contacts, searchable, each opening its chat. */
export function ContactsPage({ params }: PageProps) {
  const t = useT();
  const [deviceId] = params;
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState('');

  useEffect(() => {
    listDevices().then(setDevices, setError);
  }, []);
  // No device chosen: the first connected one (else the first).
  useEffect(() => {
    if (deviceId || !devices?.length) return;
    navigate('contacts', (devices.find((d) => d.status === 'connected') ?? devices[0]!).id);
  }, [deviceId, devices]);

  const fetchPage = useCallback(
    (cursor: string | undefined) => (deviceId ? listContacts(deviceId, cursor) : Promise.resolve({ items: [], next: null })),
    [deviceId],
  );
  const list = usePagedList(fetchPage);
  // A message from someone new makes a contact: the list is read again, once per burst of messages.
  const { reload } = list;
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);
  useLiveEvent(['message.received', 'message.sent', RECONNECTED], (event) => {
    if (event.type !== RECONNECTED && event.device_id !== deviceId) return;
    clearTimeout(pending.current);
    pending.current = setTimeout(reload, RELOAD_DELAY_MS);
  });

  const shown = list.items?.filter((c) => contactMatches(c, search)) ?? null;
  return (
    <section className="page stack">
      <div className="row">
        <h1>{t('contacts.title')}</h1>
        <DevicePicker devices={devices} value={deviceId} label={t('contacts.device')} testId="contacts-device" onChange={(id) => navigate('contacts', id)} />
      </div>
      <ErrorNote error={error ?? list.error} onDismiss={() => (setError(null), list.clearError())} />
      {devices?.length === 0 && <p className="muted">{t('contacts.noDevice')}</p>}
      {deviceId && (
        <>
          <div className="filters">
            <input
              name="contact-search"
              type="search"
              aria-label={t('contacts.search')}
              placeholder={t('contacts.search')}
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
          {shown === null ? (
            <p className="muted">{t('app.loading')}</p>
          ) : shown.length === 0 ? (
            <p className="muted">{search ? t('contacts.noMatch') : t('contacts.empty')}</p>
          ) : (
            <ul className="items" data-testid="contacts">
              {shown.map((contact) => (
                <ContactRow key={contact.jid} deviceId={deviceId} contact={contact} />
              ))}
            </ul>
          )}
          <MoreButton list={list} label={t('contacts.more')} />
        </>
      )}
    </section>
  );
}
