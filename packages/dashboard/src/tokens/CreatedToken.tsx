import { Secret } from '../common/Secret';
import { useT } from '../i18n/I18nContext';

/** The token just created, shown this once, with a copy button. */
export function CreatedToken({ token, name, onDone }: { token: string; name: string; onDone: () => void }) {
  const t = useT();
  return (
    <div className="card notice stack" data-testid="created-token" role="status">
      <strong>{t('tokens.createdTitle', { name })}</strong>
      <span>{t('tokens.showOnce')}</span>
      <Secret value={token} testId="token-value" copyLabel={t('tokens.copy')} copiedLabel={t('tokens.copied')} />
      <button type="button" className="more" onClick={onDone}>
        {t('tokens.done')}
      </button>
    </div>
  );
}
