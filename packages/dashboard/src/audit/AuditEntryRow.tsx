import { useFormatTime } from '../common/use-format-time';
import { useT } from '../i18n/I18nContext';
import type { AuditEntry } from './audit-api';

/** One audit entry: when, who, what on which target, and the before and after it recorded. */
export function AuditEntryRow({ entry }: { entry: AuditEntry }) {
  const t = useT();
  const time = useFormatTime();
  const who =
    entry.actor.type === 'master'
      ? t('audit.operator')
      : `${entry.actor.email ?? entry.actor.user_id ?? '?'}${entry.actor.role ? ` (${t(`role.${entry.actor.role}`)})` : ''}`;
  return (
    <li className="card item" data-testid="audit-entry" data-action={entry.action} data-target-id={entry.target_id ?? ''}>
      <div className="item-head">
        <code className="item-title">{entry.action}</code>
        <span className="muted">{time(entry.created_at)}</span>
      </div>
      <div className="item-meta">
        <span data-testid="audit-actor">{t('audit.by', { who })}</span>
        <span>
          {t('audit.target')} {entry.target_type}
          {entry.target_id ? ` ${entry.target_id}` : ''}
        </span>
      </div>
      {(entry.before || entry.after) && (
        <details>
          <summary>{t('audit.details')}</summary>
          {entry.before && (
            <>
              <strong>{t('audit.before')}</strong>
              <pre className="json">{JSON.stringify(entry.before, null, 2)}</pre>
            </>
          )}
          {entry.after && (
            <>
              <strong>{t('audit.after')}</strong>
              <pre className="json">{JSON.stringify(entry.after, null, 2)}</pre>
            </>
          )}
        </details>
      )}
    </li>
  );
}
