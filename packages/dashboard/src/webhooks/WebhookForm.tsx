import { useEffect, useState, type FormEvent } from 'react';
import type { Device } from '../api/types';
import { listDevices } from '../devices/devices-api';
import { useT } from '../i18n/I18nContext';
import { EventTypePicker } from './EventTypePicker';
import type { Webhook, WebhookInput } from './webhooks-api';

/** A webhook's URL, description, events and device: empty to create one, filled to edit it. */
export function WebhookForm({ initial, onSubmit, onCancel }: { initial?: Webhook; onSubmit: (input: WebhookInput) => Promise<void>; onCancel?: () => void }) {
  const t = useT();
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [events, setEvents] = useState<string[] | null>(initial?.event_types ?? null);
  const [deviceId, setDeviceId] = useState(initial?.device_id ?? '');
  const [devices, setDevices] = useState<Device[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    listDevices().then(setDevices, () => setDevices([]));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onSubmit({
        url: url.trim(),
        description: description.trim() || null,
        event_types: events === null || events.length === 0 ? null : events,
        device_id: deviceId || null,
      });
      if (!initial) {
        setUrl('');
        setDescription('');
        setEvents(null);
        setDeviceId('');
      }
    } catch {
      // The page shows the error; the form keeps what was typed.
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" data-testid={initial ? 'edit-webhook' : 'new-webhook'} onSubmit={(e) => void submit(e)}>
      <strong className="wide">{initial ? t('webhooks.edit') : t('webhooks.new')}</strong>
      <label className="wide">
        {t('webhooks.url')}
        <input name="webhook-url" type="url" required maxLength={2048} placeholder="https://" value={url} onChange={(e) => setUrl(e.target.value)} />
      </label>
      <label>
        {t('webhooks.description')}
        <input name="webhook-description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label>
        {t('webhooks.device')}
        <select name="webhook-device" value={deviceId} onChange={(e) => setDeviceId(e.target.value)}>
          <option value="">{t('webhooks.allDevices')}</option>
          {devices.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <EventTypePicker value={events} onChange={setEvents} />
      <div className="actions wide">
        <button type="submit" className="primary" disabled={busy}>
          {initial ? t('webhooks.save') : t('webhooks.create')}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('webhooks.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
