import { useState } from 'react';
import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import { useFormatTime } from '../common/use-format-time';
import { useT } from '../i18n/I18nContext';
import { DeliveryList } from './DeliveryList';
import { SecretPanel } from './SecretPanel';
import { WebhookForm } from './WebhookForm';
import { deleteWebhook, getWebhook, sendTest, updateWebhook, type Webhook, type WebhookInput } from './webhooks-api';

/** One webhook: where it sends, what, its state; admins edit, enable, test, see the secret; admins and supervisors see its deliveries. */
export function WebhookCard({
  webhook,
  onChanged,
  onDeleted,
  onError,
}: {
  webhook: Webhook;
  onChanged: (w: Webhook) => void;
  onDeleted: (id: string) => void;
  onError: (e: unknown) => void;
}) {
  const t = useT();
  const time = useFormatTime();
  const { session } = useAuth();
  const manage = can(session, 'webhooks.manage');
  const [editing, setEditing] = useState(false);
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [deliveriesVersion, setDeliveriesVersion] = useState(0);
  const [testNote, setTestNote] = useState(false);

  const save = async (input: WebhookInput) => {
    try {
      onChanged(await updateWebhook(webhook.id, input));
      setEditing(false);
    } catch (e) {
      onError(e);
      throw e;
    }
  };
  const toggle = () => updateWebhook(webhook.id, { enabled: !webhook.enabled }).then(onChanged, onError);
  const test = () =>
    sendTest(webhook.id).then(() => {
      setTestNote(true);
      setShowDeliveries(true);
      setDeliveriesVersion((v) => v + 1);
    }, onError);
  const remove = () => {
    if (!window.confirm(t('webhooks.deleteConfirm', { url: webhook.url }))) return;
    deleteWebhook(webhook.id).then(() => onDeleted(webhook.id), onError);
  };

  if (editing) {
    return (
      <li className="item" data-testid="webhook" data-webhook-id={webhook.id}>
        <WebhookForm initial={webhook} onSubmit={save} onCancel={() => setEditing(false)} />
      </li>
    );
  }
  return (
    <li className="card item" data-testid="webhook" data-webhook-id={webhook.id} data-url={webhook.url} data-enabled={String(webhook.enabled)}>
      <div className="item-head">
        <span className="item-title">{webhook.url}</span>
        <span className={`badge ${webhook.enabled ? 'ok' : 'bad'}`} data-testid="webhook-state">
          {webhook.enabled ? t('webhooks.enabled') : t('webhooks.disabled')}
        </span>
      </div>
      {webhook.description && <span>{webhook.description}</span>}
      <div className="item-meta">
        <span data-testid="webhook-events">{webhook.event_types ? webhook.event_types.join(', ') : t('webhooks.allEvents')}</span>
        {webhook.device_id && <span>{t('webhooks.oneDevice')}</span>}
        <span data-testid="webhook-last-success">{t('webhooks.lastSuccess', { time: time(webhook.last_success_at) })}</span>
        {webhook.failing_since && <span className="msg-failed">{t('webhooks.failingSince', { time: time(webhook.failing_since) })}</span>}
      </div>
      {webhook.disabled_reason && <p className="error">{t('webhooks.disabledReason', { reason: webhook.disabled_reason })}</p>}
      {testNote && (
        <p className="notice" role="status">
          {t('webhooks.testQueued')}
        </p>
      )}
      <div className="actions">
        {manage && (
          <button type="button" data-action="edit" onClick={() => setEditing(true)}>
            {t('webhooks.editButton')}
          </button>
        )}
        {manage && (
          <button type="button" data-action={webhook.enabled ? 'disable' : 'enable'} onClick={() => void toggle()}>
            {webhook.enabled ? t('webhooks.disable') : t('webhooks.enable')}
          </button>
        )}
        {manage && (
          <button type="button" data-action="test" onClick={() => void test()}>
            {t('webhooks.test')}
          </button>
        )}
        <button type="button" data-action="deliveries" aria-expanded={showDeliveries} onClick={() => setShowDeliveries(!showDeliveries)}>
          {showDeliveries ? t('webhooks.hideDeliveries') : t('webhooks.showDeliveries')}
        </button>
        {manage && (
          <button type="button" className="danger" data-action="delete" onClick={remove}>
            {t('webhooks.delete')}
          </button>
        )}
      </div>
      {manage && <SecretPanel webhookId={webhook.id} onError={onError} />}
      {showDeliveries && (
        <DeliveryList
          webhookId={webhook.id}
          mayRetry={manage}
          version={deliveriesVersion}
          onActivity={() => void getWebhook(webhook.id).then(onChanged, onError)}
          onError={onError}
        />
      )}
    </li>
  );
}
