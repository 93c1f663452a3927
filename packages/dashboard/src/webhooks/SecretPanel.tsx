import { useState } from 'react';
import { Secret } from '../common/Secret';
import { useFormatTime } from '../common/use-format-time';
import { useT } from '../i18n/I18nContext';
import { getSecret, rotateSecret, type WebhookSecret } from './webhooks-api';

/** The webhook's signing secret, shown on demand (admins), and its rotation. */
export function SecretPanel({ webhookId, onError }: { webhookId: string; onError: (e: unknown) => void }) {
  const t = useT();
  const time = useFormatTime();
  const [secret, setSecret] = useState<WebhookSecret | null>(null);
  const show = () => getSecret(webhookId).then(setSecret, onError);
  const rotate = () => {
    if (!window.confirm(t('webhooks.rotateConfirm'))) return;
    rotateSecret(webhookId).then(setSecret, onError);
  };
  return (
    <div className="stack" data-testid="secret-panel">
      <div className="actions">
        {secret ? (
          <button type="button" data-action="hide-secret" onClick={() => setSecret(null)}>
            {t('webhooks.hideSecret')}
          </button>
        ) : (
          <button type="button" data-action="show-secret" onClick={() => void show()}>
            {t('webhooks.showSecret')}
          </button>
        )}
        <button type="button" data-action="rotate-secret" onClick={rotate}>
          {t('webhooks.rotateSecret')}
        </button>
      </div>
      {secret && (
        <div className="stack">
          <span>{t('webhooks.secret')}</span>
          <Secret value={secret.secret} testId="webhook-secret" copyLabel={t('webhooks.copy')} copiedLabel={t('webhooks.copied')} />
          {secret.previous_secret && (
            <>
              <span className="muted">{t('webhooks.previousSecret', { time: time(secret.previous_secret_expires_at) })}</span>
              <Secret value={secret.previous_secret} testId="webhook-previous-secret" copyLabel={t('webhooks.copy')} copiedLabel={t('webhooks.copied')} />
            </>
          )}
        </div>
      )}
    </div>
  );
}
