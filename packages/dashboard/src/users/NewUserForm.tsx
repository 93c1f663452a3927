import { useState, type FormEvent } from 'react';
import type { Role, User } from '../api/types';
import { useT } from '../i18n/I18nContext';
import { createUser } from './users-api';

/** Creates a user with an email, a password and one of the roles the caller may give. */
export function NewUserForm({ roles, onCreated, onError }: { roles: readonly Role[]; onCreated: (user: User) => void; onError: (e: unknown) => void }) {
  const t = useT();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('agent') ? 'agent' : roles[0]!);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      onCreated(await createUser(email.trim(), password, role));
      setEmail('');
      setPassword('');
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" data-testid="new-user" onSubmit={(e) => void submit(e)}>
      <strong className="wide">{t('users.new')}</strong>
      <label>
        {t('users.email')}
        <input name="user-email" type="email" required maxLength={254} autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        {t('users.password')}
        <input
          name="user-password"
          type="password"
          required
          minLength={8}
          maxLength={256}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <label>
        {t('users.role')}
        <select name="user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {t('users.create')}
      </button>
    </form>
  );
}
