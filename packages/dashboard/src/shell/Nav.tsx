import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import { useT } from '../i18n/I18nContext';
import { PAGES } from '../pages/registry';
import { href } from '../router';

/** The pages the signed-in role may open; the current one marked. */
export function Nav({ current, onNavigate }: { current: string; onNavigate: () => void }) {
  const t = useT();
  const { session } = useAuth();
  return (
    <nav className="nav" aria-label={t('app.menu')}>
      <ul>
        {PAGES.filter((page) => can(session, page.ability)).map((page) => (
          <li key={page.segment}>
            <a href={href(page.segment)} data-nav={page.segment} aria-current={current === page.segment ? 'page' : undefined} onClick={onNavigate}>
              {t(page.label)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
