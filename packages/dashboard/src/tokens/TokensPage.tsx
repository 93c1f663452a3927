import { useState } from 'react';
import '../common/admin-pages.css';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { ErrorNote } from '../shell/ErrorNote';
import { CreatedToken } from './CreatedToken';
import { NewTokenForm } from './NewTokenForm';
import { TokenRow } from './TokenRow';
import { listTokens } from './tokens-api';

/** The signed-in user's own tokens (GET /me/tokens): API tokens and login sessions. */
export function TokensPage(_props: PageProps) {
  const t = useT();
  const list = usePagedList(listTokens);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ token: string; name: string } | null>(null);
  return (
    <section className="page stack">
      <h1>{t('tokens.title')}</h1>
      <p className="muted">{t('tokens.intro')}</p>
      <ErrorNote error={error ?? list.error} onDismiss={() => (setError(null), list.clearError())} />
      {created && <CreatedToken token={created.token} name={created.name} onDone={() => setCreated(null)} />}
      <NewTokenForm
        onCreated={(token, info) => {
          setCreated({ token, name: info.name });
          list.reload();
        }}
        onError={setError}
      />
      <div className="row">
        <span className="spacer" />
        <button type="button" data-action="reload" onClick={() => list.reload()}>
          {t('tokens.reload')}
        </button>
      </div>
      {list.items === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : (
        <ul className="items" data-testid="tokens">
          {list.items.map((token) => (
            <TokenRow key={token.id} token={token} onRevoked={(id) => list.update((items) => items.filter((x) => x.id !== id))} onError={setError} />
          ))}
        </ul>
      )}
      <MoreButton list={list} label={t('tokens.more')} />
    </section>
  );
}
