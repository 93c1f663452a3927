import { useCallback, useState } from 'react';
import type { Role, User } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { assignableRoles, can } from '../auth/roles';
import '../common/admin-pages.css';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { RECONNECTED } from '../events/live-events';
import { useLiveEvent } from '../events/LiveEventsContext';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { ErrorNote } from '../shell/ErrorNote';
import { NewUserForm } from './NewUserForm';
import { UserRow } from './UserRow';
import { listUsers, type UserFilter } from './users-api';

const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent', 'viewer'];

function matches(user: User, filter: UserFilter): boolean {
  return (filter.role === undefined || user.role === filter.role) && (filter.active === undefined || user.active === filter.active);
}

/** The tenant's users (admins and supervisors), kept live by user.* events. */
export function UsersPage(_props: PageProps) {
  const t = useT();
  const { session } = useAuth();
  const [filter, setFilter] = useState<UserFilter>({});
  const [error, setError] = useState<unknown>(null);
  const fetchPage = useCallback((cursor: string | undefined) => listUsers(filter, cursor), [filter]);
  const list = usePagedList(fetchPage);

  // Another admin's change (or this page's own) arrives as an event with the user as it is now.
  const put = (user: User) =>
    list.update((items) => {
      const rest = items.filter((u) => u.id !== user.id);
      if (!matches(user, filter)) return rest;
      return items.some((u) => u.id === user.id) ? items.map((u) => (u.id === user.id ? user : u)) : [...items, user];
    });
  const drop = (id: string) => list.update((items) => items.filter((u) => u.id !== id));
  useLiveEvent(['user.*', RECONNECTED], (event) => {
    if (event.type === RECONNECTED) return list.reload();
    const user = event.data as unknown as User;
    if (event.type === 'user.deleted') drop(user.id);
    else put(user);
  });

  return (
    <section className="page stack">
      <h1>{t('users.title')}</h1>
      <ErrorNote error={error ?? list.error} onDismiss={() => (setError(null), list.clearError())} />
      {can(session, 'users.create') && <NewUserForm roles={assignableRoles(session)} onCreated={put} onError={setError} />}
      <div className="filters">
        <select
          aria-label={t('users.filterRole')}
          data-testid="filter-role"
          value={filter.role ?? ''}
          onChange={(e) => setFilter({ ...filter, role: (e.target.value || undefined) as Role | undefined })}
        >
          <option value="">{t('users.allRoles')}</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('users.filterActive')}
          value={filter.active === undefined ? '' : String(filter.active)}
          onChange={(e) => setFilter({ ...filter, active: e.target.value === '' ? undefined : e.target.value === 'true' })}
        >
          <option value="">{t('users.allStates')}</option>
          <option value="true">{t('users.active')}</option>
          <option value="false">{t('users.inactive')}</option>
        </select>
      </div>
      {list.items === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.items.length === 0 ? (
        <p className="muted">{t('users.empty')}</p>
      ) : (
        <ul className="items" data-testid="users">
          {list.items.map((user) => (
            <UserRow key={user.id} user={user} onChanged={put} onDeleted={drop} onError={setError} />
          ))}
        </ul>
      )}
      <MoreButton list={list} label={t('users.more')} />
    </section>
  );
}
