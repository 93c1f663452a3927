import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Device } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import { RECONNECTED } from '../events/live-events';
import { useLiveEvent } from '../events/LiveEventsContext';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { ErrorNote } from '../shell/ErrorNote';
import { createDevice, getDevice, listDevices } from './devices-api';
import { DeviceCard } from './DeviceCard';

/** The tenant's devices, their states kept live by device.* events. */
export function DevicesPage(_props: PageProps) {
  const t = useT();
  const { session } = useAuth();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');

  const reload = useCallback(() => {
    listDevices().then(setDevices, setError);
  }, []);
  useEffect(reload, [reload]);

  // An event names the device; its row is read again, so the card shows every field as stored.
  const refreshOne = (id: string) => {
    getDevice(id).then((device) => setDevices((list) => list?.map((d) => (d.id === id ? device : d)) ?? list), reload);
  };
  useLiveEvent(['device.*', RECONNECTED], (event) => {
    if (event.type === RECONNECTED || !event.device_id) reload();
    else refreshOne(event.device_id);
  });

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const device = await createDevice(name.trim());
      setName('');
      setDevices((list) => [...(list ?? []), device]);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="page">
      <h1>{t('devices.title')}</h1>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {can(session, 'devices.manage') && (
        <form className="row card" onSubmit={(e) => void create(e)}>
          <input
            name="device-name"
            aria-label={t('devices.name')}
            placeholder={t('devices.name')}
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="primary">
            {t('devices.create')}
          </button>
        </form>
      )}
      {devices === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : devices.length === 0 ? (
        <p className="muted">{t('devices.empty')}</p>
      ) : (
        <ul className="devices">
          {devices.map((device) => (
            <DeviceCard key={device.id} device={device} onChanged={reload} onError={setError} />
          ))}
        </ul>
      )}
    </section>
  );
}
