import { useState, type FormEvent } from 'react';
import { useT } from '../i18n/I18nContext';
import { createToken, type TokenInfo } from './tokens-api';

/** Creates an API token of the signed-in user: a name and an optional lifetime in days. */
export function NewTokenForm({ onCreated, onError }: { onCreated: (token: string, info: TokenInfo) => void; onError: (e: unknown) => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const created = await createToken(name.trim(), days ? Number(days) : undefined);
      setName('');
      setDays('');
      onCreated(created.token, created.api_token);
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card form-grid" data-testid="new-token" onSubmit={(e) => void submit(e)}>
      <strong className="wide">{t('tokens.new')}</strong>
      <label>
        {t('tokens.name')}
        <input name="token-name" required maxLength={100} pattern=".*\S.*" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        {t('tokens.expiresInDays')}
        <input
          name="token-days"
          type="number"
          min={1}
          max={3650}
          inputMode="numeric"
          placeholder={t('tokens.never')}
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {t('tokens.create')}
      </button>
    </form>
  );
}
