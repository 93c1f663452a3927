import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { User } from '../api/types';
import { useT } from '../i18n/I18nContext';
import type { MessageKey } from '../i18n/en';
import { LanguageSwitch } from '../shell/LanguageSwitch';
import { useAuth } from './AuthContext';

const KNOWN_REASONS = ['tenant_suspended', 'invalid_token', 'user_inactive'];

/** Email and password (POST /login), or the platform operator's master token. */
export function SignInPage() {
  const t = useT();
  const { signIn, signOutReason } = useAuth();
  const [operator, setOperator] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [masterToken, setMasterToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (operator) {
        // The master token is checked by the operator's own endpoint.
        await api('GET', '/tenants?limit=1', undefined, masterToken.trim());
        signIn({ kind: 'operator', token: masterToken.trim() });
      } else {
        const answer = await api<{ user: User; token: string }>('POST', '/login', { email: email.trim(), password });
        signIn({ kind: 'user', token: answer.token, user: answer.user });
      }
      if (!window.location.hash) window.location.hash = operator ? '#/tenants' : '#/devices';
    } catch (e) {
      if (operator && e instanceof ApiError && (e.status === 401 || e.status === 403)) setError(t('signin.badMasterToken'));
      else setError(t('signin.failed', { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };

  const reasonKey = signOutReason ? (`signout.reason.${KNOWN_REASONS.includes(signOutReason) ? signOutReason : 'other'}` as MessageKey) : null;

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={(e) => void submit(e)}>
        <div className="signin-head">
          <h1>{t('signin.title')}</h1>
          <LanguageSwitch />
        </div>
        {reasonKey && (
          <p className="notice" role="alert" data-testid="signout-reason">
            {t(reasonKey)}
          </p>
        )}
        {operator ? (
          <label>
            {t('signin.masterToken')}
            <input name="master-token" type="password" autoComplete="off" required value={masterToken} onChange={(e) => setMasterToken(e.target.value)} />
          </label>
        ) : (
          <>
            <label>
              {t('signin.email')}
              <input name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label>
              {t('signin.password')}
              <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
          </>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {t('signin.submit')}
        </button>
        <button type="button" className="link" onClick={() => setOperator(!operator)}>
          {operator ? t('signin.user') : t('signin.operator')}
        </button>
      </form>
    </main>
  );
}
