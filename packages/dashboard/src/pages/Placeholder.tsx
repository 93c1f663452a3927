import { useT } from '../i18n/I18nContext';
import type { MessageKey } from '../i18n/en';

/** A page still to be built: its title and a short note. */
export function Placeholder({ title }: { title: MessageKey }) {
  const t = useT();
  return (
    <section className="page">
      <h1>{t(title)}</h1>
      <p className="muted">{t('app.comingSoon')}</p>
    </section>
  );
}
