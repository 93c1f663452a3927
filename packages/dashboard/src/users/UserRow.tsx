import type { Role, User } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { assignableRoles, canManageUser } from '../auth/roles';
import { useFormatTime } from '../common/use-format-time';
import { useT } from '../i18n/I18nContext';
import { deleteUser, updateUser } from './users-api';

/** One user: role and state, and what the caller may change (never its own user). */
export function UserRow({
  user,
  onChanged,
  onDeleted,
  onError,
}: {
  user: User;
  onChanged: (u: User) => void;
  onDeleted: (id: string) => void;
  onError: (e: unknown) => void;
}) {
  const t = useT();
  const time = useFormatTime();
  const { session } = useAuth();
  const self = session?.kind === 'user' && session.user.id === user.id;
  const manage = canManageUser(session, user);
  const roles = assignableRoles(session);

  const change = (body: { role?: Role; active?: boolean }) => updateUser(user.id, body).then(onChanged, onError);
  const remove = () => {
    if (!window.confirm(t('users.deleteConfirm', { email: user.email }))) return;
    deleteUser(user.id).then(() => onDeleted(user.id), onError);
  };

  return (
    <li className="card item" data-testid="user" data-user-id={user.id} data-email={user.email} data-role={user.role} data-active={String(user.active)}>
      <div className="item-head">
        <span className="item-title">{user.email}</span>
        <span className="row">
          {self && <span className="badge">{t('users.you')}</span>}
          <span className={`badge ${user.active ? 'ok' : 'bad'}`}>{user.active ? t('users.active') : t('users.inactive')}</span>
        </span>
      </div>
      <div className="item-meta">
        <span>{t('users.createdAt', { time: time(user.created_at) })}</span>
      </div>
      <div className="actions">
        {manage ? (
          <label className="check">
            {t('users.role')}
            <select aria-label={t('users.role')} data-action="role" value={user.role} onChange={(e) => void change({ role: e.target.value as Role })}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="badge" data-testid="user-role">
            {t(`role.${user.role}`)}
          </span>
        )}
        {manage && (
          <button type="button" data-action={user.active ? 'deactivate' : 'reactivate'} onClick={() => void change({ active: !user.active })}>
            {user.active ? t('users.deactivate') : t('users.reactivate')}
          </button>
        )}
        {manage && (
          <button type="button" className="danger" data-action="delete" onClick={remove}>
            {t('users.delete')}
          </button>
        )}
      </div>
    </li>
  );
}
