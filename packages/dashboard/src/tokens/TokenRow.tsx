import { useFormatTime } from '../common/use-format-time';
import { useT } from '../i18n/I18nContext';
import { revokeToken, type TokenInfo } from './tokens-api';

/** One token: its name, kind, last characters and times; revoking it. */
export function TokenRow({ token, onRevoked, onError }: { token: TokenInfo; onRevoked: (id: string) => void; onError: (e: unknown) => void }) {
  const t = useT();
  const time = useFormatTime();
  const revoke = () => {
    if (!window.confirm(token.current ? t('tokens.revokeCurrentConfirm') : t('tokens.revokeConfirm', { name: token.name }))) return;
    revokeToken(token.id).then(() => onRevoked(token.id), onError);
  };
  return (
    <li className="card item" data-testid="token" data-token-id={token.id} data-name={token.name}>
      <div className="item-head">
        <span className="item-title">{token.name}</span>
        <span className="row">
          {token.current && <span className="badge ok">{t('tokens.current')}</span>}
          <span className="badge">{token.kind === 'api' ? t('tokens.kindApi') : t('tokens.kindSession')}</span>
        </span>
      </div>
      <div className="item-meta">
        <span>
          {t('tokens.endsWith')} <code data-testid="token-last4">…{token.last4}</code>
        </span>
        <span>{t('tokens.createdAt', { time: time(token.created_at) })}</span>
        <span data-testid="token-last-used">{t('tokens.lastUsed', { time: time(token.last_used_at) })}</span>
        <span>{token.expires_at ? t('tokens.expiresAt', { time: time(token.expires_at) }) : t('tokens.noExpiry')}</span>
      </div>
      <div className="actions">
        <button type="button" className="danger" data-action="revoke" onClick={revoke}>
          {t('tokens.revoke')}
        </button>
      </div>
    </li>
  );
}
