import { useCallback, useEffect, useState, type FormEvent } from 'react';
import '../common/admin-pages.css';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { ErrorNote } from '../shell/ErrorNote';
import { TenantRow } from './TenantRow';
import { listTenants, type Tenant, type TenantFilter } from './tenants-api';

/** The operator has no event stream: the first page is read again this often. */
const POLL_MS = 10_000;

/** The platform's tenants (master token): counts and usage, suspend, reactivate, delete. */
export function TenantsPage(_props: PageProps) {
  const t = useT();
  const [filter, setFilter] = useState<TenantFilter>({});
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const fetchPage = useCallback((cursor: string | undefined) => listTenants(filter, cursor), [filter]);
  const list = usePagedList(fetchPage);
  const { reload } = list;
  const olderLoaded = list.hasMore && (list.items?.length ?? 0) > 100;
  useEffect(() => {
    if (olderLoaded) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [reload, olderLoaded]);

  const put = (tenant: Tenant) => list.update((items) => items.map((x) => (x.id === tenant.id ? tenant : x)));
  const search = (event: FormEvent) => {
    event.preventDefault();
    setFilter({ ...filter, namePrefix: typed.trim() || undefined });
  };

  return (
    <section className="page stack">
      <div className="row">
        <h1>{t('tenants.title')}</h1>
        <span className="spacer" />
        <button type="button" data-action="reload" onClick={() => list.reload()}>
          {t('tenants.reload')}
        </button>
      </div>
      <ErrorNote error={error ?? list.error} onDismiss={() => (setError(null), list.clearError())} />
      <form className="filters" onSubmit={search}>
        <input
          name="tenant-search"
          type="search"
          aria-label={t('tenants.search')}
          placeholder={t('tenants.search')}
          maxLength={100}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <select
          aria-label={t('tenants.filterActive')}
          value={filter.active === undefined ? '' : String(filter.active)}
          onChange={(e) => setFilter({ ...filter, active: e.target.value === '' ? undefined : e.target.value === 'true' })}
        >
          <option value="">{t('tenants.all')}</option>
          <option value="true">{t('tenants.active')}</option>
          <option value="false">{t('tenants.suspended')}</option>
        </select>
        <button type="submit">{t('tenants.searchButton')}</button>
      </form>
      {list.items === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.items.length === 0 ? (
        <p className="muted">{t('tenants.empty')}</p>
      ) : (
        <ul className="items" data-testid="tenants">
          {list.items.map((tenant) => (
            <TenantRow
              key={tenant.id}
              tenant={tenant}
              onChanged={put}
              onDeleted={(id) => list.update((items) => items.filter((x) => x.id !== id))}
              onError={setError}
            />
          ))}
        </ul>
      )}
      <MoreButton list={list} label={t('tenants.more')} />
    </section>
  );
}
