import { useCallback, useEffect, useRef, useState } from 'react';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { useT } from '../i18n/I18nContext';
import { ErrorNote } from '../shell/ErrorNote';
import { DeliveryRow } from './DeliveryRow';
import { listDeliveries, retryDelivery, type DeliveryStatus } from './webhooks-api';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'delivering', 'succeeded', 'failed'];
/** Deliveries are not on the event stream: the open list is read again this often. */
const POLL_MS = 3_000;

/** A webhook's deliveries, newest first, refreshed while open; `version` changes read it again at once. */
export function DeliveryList({
  webhookId,
  mayRetry,
  version,
  onActivity,
  onError,
}: {
  webhookId: string;
  mayRetry: boolean;
  version: number;
  /** Called when a delivery's state changed: the webhook's own state (last success, failing) may have too. */
  onActivity: () => void;
  onError: (e: unknown) => void;
}) {
  const t = useT();
  const [status, setStatus] = useState<DeliveryStatus | undefined>(undefined);
  const fetchPage = useCallback((cursor: string | undefined) => listDeliveries(webhookId, status, cursor), [webhookId, status, version]);
  const list = usePagedList(fetchPage);
  const { reload } = list;
  const olderLoaded = (list.items?.length ?? 0) > 20;

  // Polls the first page only while nothing older was loaded (a reload would drop those).
  useEffect(() => {
    if (olderLoaded) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [reload, olderLoaded]);

  // A delivery's state changed since the last read: the webhook's own may have too.
  const states = list.items?.map((d) => `${d.id}:${d.status}:${d.attempt_count}`).join(',');
  const activity = useRef(onActivity);
  activity.current = onActivity;
  const seen = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (states === undefined) return;
    if (seen.current !== undefined && seen.current !== states) activity.current();
    seen.current = states;
  }, [states]);

  const retry = (id: string) => retryDelivery(id).then((delivery) => list.update((items) => items.map((d) => (d.id === delivery.id ? delivery : d))), onError);

  return (
    <div className="deliveries stack" data-testid="deliveries">
      <ErrorNote error={list.error} onDismiss={list.clearError} />
      <div className="filters">
        <strong>{t('webhooks.deliveries')}</strong>
        <select
          aria-label={t('webhooks.filterStatus')}
          value={status ?? ''}
          onChange={(e) => setStatus((e.target.value || undefined) as DeliveryStatus | undefined)}
        >
          <option value="">{t('webhooks.allStatuses')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`webhooks.status.${s}`)}
            </option>
          ))}
        </select>
      </div>
      {list.items === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.items.length === 0 ? (
        <p className="muted">{t('webhooks.noDeliveries')}</p>
      ) : (
        <ul className="items">
          {list.items.map((d) => (
            <DeliveryRow key={d.id} delivery={d} mayRetry={mayRetry} onRetry={(x) => void retry(x.id)} />
          ))}
        </ul>
      )}
      <MoreButton list={list} label={t('webhooks.moreDeliveries')} />
    </div>
  );
}
