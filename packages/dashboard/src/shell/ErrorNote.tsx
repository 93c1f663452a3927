import { useT } from '../i18n/I18nContext';

/** An API error, in words, until dismissed. */
export function ErrorNote({ error, onDismiss }: { error: unknown; onDismiss: () => void }) {
  const t = useT();
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {t('app.error', { message })}{' '}
      <button type="button" className="link" onClick={onDismiss}>
        ×
      </button>
    </p>
  );
}
