import { useState } from 'react';
import { useAuth } from '../auth/AuthContext';
import { can } from '../auth/roles';
import { useT } from '../i18n/I18nContext';
import { PAGES } from '../pages/registry';
import { useRoute } from '../router';
import { LanguageSwitch } from './LanguageSwitch';
import { LiveIndicator } from './LiveIndicator';
import { Nav } from './Nav';

/** The signed-in layout: a header, the nav (a drawer on a phone) and the current page. */
export function Shell() {
  const t = useT();
  const { session, signOut } = useAuth();
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const allowed = PAGES.filter((page) => can(session, page.ability));
  const [first, ...params] = route.segments;
  const page = first ? PAGES.find((p) => p.segment === first) : allowed[0];
  const who = session?.kind === 'user' ? `${session.user.email} (${t(`role.${session.user.role}`)})` : t('app.operator');

  let content;
  if (!page) content = <p className="page muted">{t('app.notFound')}</p>;
  else if (!can(session, page.ability)) content = <p className="page muted">{t('app.notAllowed')}</p>;
  else content = <page.component key={page.segment} params={first ? params : []} />;

  return (
    <div className={`shell${menuOpen ? ' menu-open' : ''}`}>
      <header className="topbar">
        <button type="button" className="menu-button" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          {t('app.menu')}
        </button>
        <strong className="brand">{t('app.title')}</strong>
        {session?.kind === 'user' && <LiveIndicator />}
        <span className="spacer" />
        <span className="who" data-testid="who">
          {t('app.signedInAs', { who })}
        </span>
        <LanguageSwitch />
        <button type="button" data-testid="sign-out" onClick={() => void signOut()}>
          {t('app.signOut')}
        </button>
      </header>
      <Nav current={page?.segment ?? ''} onNavigate={() => setMenuOpen(false)} />
      <main className="content">{content}</main>
    </div>
  );
}
