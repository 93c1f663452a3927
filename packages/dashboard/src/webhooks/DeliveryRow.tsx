import { useFormatTime } from '../common/use-format-time';
import { useT } from '../i18n/I18nContext';
import type { Delivery } from './webhooks-api';

const TONE: Record<Delivery['status'], string> = { succeeded: 'ok', failed: 'bad', pending: 'warn', delivering: 'warn' };

/** One delivery: its event, status and attempts; retried by admins. */
export function DeliveryRow({ delivery, mayRetry, onRetry }: { delivery: Delivery; mayRetry: boolean; onRetry: (d: Delivery) => void }) {
  const t = useT();
  const time = useFormatTime();
  return (
    <li className="item" data-testid="delivery" data-delivery-id={delivery.id} data-status={delivery.status} data-event-type={delivery.event_type}>
      <div className="item-head">
        <code>{delivery.event_type}</code>
        <span className={`badge ${TONE[delivery.status]}`} data-testid="delivery-status">
          {t(`webhooks.status.${delivery.status}`)}
        </span>
      </div>
      <div className="item-meta">
        <span>{time(delivery.created_at)}</span>
        <span data-testid="delivery-attempts">{t('webhooks.attemptCount', { count: delivery.attempt_count })}</span>
        {delivery.last_status_code !== null && <span>HTTP {delivery.last_status_code}</span>}
        {delivery.next_attempt_at && <span>{t('webhooks.nextAttempt', { time: time(delivery.next_attempt_at) })}</span>}
        {delivery.last_error && <span className="msg-failed">{delivery.last_error}</span>}
      </div>
      {delivery.attempts.length > 0 && (
        <details>
          <summary>{t('webhooks.attempts')}</summary>
          <ol className="attempts">
            {delivery.attempts.map((a) => (
              <li key={a.attempted_at}>
                {time(a.attempted_at)} · {a.status_code === null ? t('webhooks.noAnswer') : `HTTP ${a.status_code}`} · {a.latency_ms} ms
                {a.error ? ` · ${a.error}` : ''}
              </li>
            ))}
          </ol>
        </details>
      )}
      {mayRetry && delivery.status !== 'delivering' && (
        <div className="actions">
          <button type="button" data-action="retry" onClick={() => onRetry(delivery)}>
            {t('webhooks.retry')}
          </button>
        </div>
      )}
    </li>
  );
}
