import { useState } from 'react';
import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import '../common/admin-pages.css';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { ErrorNote } from '../shell/ErrorNote';
import { WebhookCard } from './WebhookCard';
import { WebhookForm } from './WebhookForm';
import { createWebhook, listWebhooks, type Webhook, type WebhookInput } from './webhooks-api';

/** The tenant's webhooks: admins manage them, supervisors read them and their deliveries. */
export function WebhooksPage(_props: PageProps) {
  const t = useT();
  const { session } = useAuth();
  const list = usePagedList(listWebhooks);
  const [error, setError] = useState<unknown>(null);

  const put = (webhook: Webhook) =>
    list.update((items) => (items.some((w) => w.id === webhook.id) ? items.map((w) => (w.id === webhook.id ? webhook : w)) : [...items, webhook]));
  const create = async (input: WebhookInput) => {
    try {
      put(await createWebhook(input));
    } catch (e) {
      setError(e);
      throw e;
    }
  };

  return (
    <section className="page stack">
      <div className="row">
        <h1>{t('webhooks.title')}</h1>
        <span className="spacer" />
        <button type="button" data-action="reload" onClick={() => list.reload()}>
          {t('webhooks.reload')}
        </button>
      </div>
      <ErrorNote error={error ?? list.error} onDismiss={() => (setError(null), list.clearError())} />
      {can(session, 'webhooks.manage') && <WebhookForm onSubmit={create} />}
      {list.items === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.items.length === 0 ? (
        <p className="muted">{t('webhooks.empty')}</p>
      ) : (
        <ul className="items" data-testid="webhooks">
          {list.items.map((webhook) => (
            <WebhookCard
              key={webhook.id}
              webhook={webhook}
              onChanged={put}
              onDeleted={(id) => list.update((items) => items.filter((w) => w.id !== id))}
              onError={setError}
            />
          ))}
        </ul>
      )}
      <MoreButton list={list} label={t('webhooks.more')} />
    </section>
  );
}
