import { useCallback, useEffect, useRef, useState } from 'react';
import type { Chat, Device } from '../api/types';
import { DevicePicker } from '../devices/DevicePicker';
import { listDevices } from '../devices/devices-api';
import { RECONNECTED } from '../events/live-events';
import { useLiveEvent } from '../events/LiveEventsContext';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { navigate } from '../router';
import { ErrorNote } from '../shell/ErrorNote';
import { chatTitle, listChats } from './chats-api';
import { ChatList } from './ChatList';
import { ChatView } from './ChatView';

/** `#/chats/<device id>/<chat jid>`: a device's chats beside the open one (one at a time on a phone). */
export function ChatsPage({ params }: PageProps) {
  const t = useT();
  const [deviceId, chat] = params;
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [chats, setChats] = useState<Chat[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    listDevices().then(setDevices, setError);
  }, []);

  // No device chosen: the first connected one (else the first).
  useEffect(() => {
    if (deviceId || !devices?.length) return;
    const first = devices.find((d) => d.status === 'connected') ?? devices[0]!;
    navigate('chats', first.id);
  }, [deviceId, devices]);

  const reloadChats = useCallback(() => {
    if (deviceId) listChats(deviceId).then(setChats, setError);
  }, [deviceId]);
  useEffect(() => {
    setChats(null);
    reloadChats();
  }, [reloadChats]);
  // A burst of events (a busy chat) reloads the list once.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);
  useLiveEvent(['message.received', 'message.sent', 'message.status', 'message.deleted', RECONNECTED], (event) => {
    if (event.type !== RECONNECTED && event.device_id !== deviceId) return;
    clearTimeout(pending.current);
    pending.current = setTimeout(reloadChats, 300);
  });

  const current = chats?.find((c) => c.jid === chat);
  return (
    <section className={`page chats-page${chat ? ' has-chat' : ''}`}>
      <div className="chats-head row">
        <h1>{t('chats.title')}</h1>
        <DevicePicker devices={devices} value={deviceId} label={t('chats.device')} testId="chat-device" onChange={(id) => navigate('chats', id)} />
      </div>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {devices?.length === 0 && <p className="muted">{t('chats.noDevice')}</p>}
      {deviceId && (
        <div className="chats-layout">
          <ChatList deviceId={deviceId} chats={chats} current={chat} />
          {chat ? (
            <ChatView
              key={`${deviceId}/${chat}`}
              deviceId={deviceId}
              chat={chat}
              title={current ? chatTitle(current) : chatTitle({ name: null, phone: null, jid: chat })}
            />
          ) : (
            <p className="muted chat-placeholder">{t('chats.select')}</p>
          )}
        </div>
      )}
    </section>
  );
}
