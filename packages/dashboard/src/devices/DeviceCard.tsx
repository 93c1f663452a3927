import { useEffect, useState } from 'react';
import type { Device } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import { useT } from '../i18n/I18nContext';
import { href } from '../router';
import { deleteDevice, disconnectDevice, logoutDevice } from './devices-api';
import { LinkPanel } from './LinkPanel';
import { StatusBadge } from './StatusBadge';

const LINKABLE = new Set(['created', 'qr', 'connecting', 'disconnected', 'logged_out', 'failed']);

/** One device: its state, and the actions the role may take on it. */
export function DeviceCard({ device, onChanged, onError }: { device: Device; onChanged: () => void; onError: (e: unknown) => void }) {
  const t = useT();
  const { session } = useAuth();
  const [linking, setLinking] = useState(false);
  const mayConnect = can(session, 'devices.connect');
  const mayManage = can(session, 'devices.manage');
  const showLink = linking && device.status !== 'connected';
  // Linked: the panel's work is done (a later connect starts a new one).
  useEffect(() => {
    if (device.status === 'connected') setLinking(false);
  }, [device.status]);

  const run = (action: () => Promise<unknown>, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    action().then(onChanged, onError);
  };

  return (
    <li className="card device" data-testid="device" data-device-id={device.id}>
      <div className="device-head">
        <strong className="device-name">{device.name}</strong>
        <StatusBadge status={device.status} />
      </div>
      <dl className="facts">
        {device.phone && (
          <>
            <dt>{t('devices.phone')}</dt>
            <dd data-testid="device-phone">+{device.phone}</dd>
          </>
        )}
        {device.reason && device.status !== 'connected' && (
          <>
            <dt />
            <dd className="muted">{device.reason}</dd>
          </>
        )}
        {device.queued_messages > 0 && (
          <>
            <dt />
            <dd>{t('devices.queued', { count: device.queued_messages })}</dd>
          </>
        )}
      </dl>
      {showLink && <LinkPanel device={device} onClose={() => setLinking(false)} onError={onError} />}
      <div className="actions">
        {device.status === 'connected' && <a href={href('chats', device.id)}>{t('devices.openChats')}</a>}
        {mayConnect && !showLink && LINKABLE.has(device.status) && (
          <button type="button" className="primary" data-action="connect" onClick={() => setLinking(true)}>
            {t('devices.connect')}
          </button>
        )}
        {mayConnect && (device.status === 'connected' || device.status === 'connecting' || device.status === 'qr') && (
          <button type="button" data-action="disconnect" onClick={() => run(() => disconnectDevice(device.id))}>
            {t('devices.disconnect')}
          </button>
        )}
        {mayManage && device.status === 'connected' && (
          <button type="button" data-action="logout" onClick={() => run(() => logoutDevice(device.id), t('devices.logoutConfirm', { name: device.name }))}>
            {t('devices.logout')}
          </button>
        )}
        {mayManage && (
          <button
            type="button"
            className="danger"
            data-action="delete"
            onClick={() => run(() => deleteDevice(device.id), t('devices.deleteConfirm', { name: device.name }))}
          >
            {t('devices.delete')}
          </button>
        )}
      </div>
    </li>
  );
}
