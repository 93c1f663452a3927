import { useCallback, useState, type FormEvent } from 'react';
import '../common/admin-pages.css';
import { MoreButton } from '../common/MoreButton';
import { usePagedList } from '../common/use-paged-list';
import { useT } from '../i18n/I18nContext';
import type { PageProps } from '../pages/page-props';
import { ErrorNote } from '../shell/ErrorNote';
import { AUDIT_ACTIONS, listAudit } from './audit-api';
import { AuditEntryRow } from './AuditEntryRow';

/** The tenant's audit log (admins), newest first, filtered by action, page by page. */
export function AuditPage(_props: PageProps) {
  const t = useT();
  const [typed, setTyped] = useState('');
  const [action, setAction] = useState<string | undefined>(undefined);
  const fetchPage = useCallback((cursor: string | undefined) => listAudit(action, cursor), [action]);
  const list = usePagedList(fetchPage);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setAction(typed.trim() || undefined);
  };
  return (
    <section className="page stack">
      <div className="row">
        <h1>{t('audit.title')}</h1>
        <span className="spacer" />
        <button type="button" data-action="reload" onClick={() => list.reload()}>
          {t('audit.reload')}
        </button>
      </div>
      <ErrorNote error={list.error} onDismiss={list.clearError} />
      <form className="filters" onSubmit={apply}>
        <input
          name="audit-action"
          list="audit-actions"
          aria-label={t('audit.filterAction')}
          placeholder={t('audit.filterAction')}
          maxLength={64}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <button type="submit">{t('audit.filter')}</button>
        {action && (
          <button
            type="button"
            onClick={() => {
              setTyped('');
              setAction(undefined);
            }}
          >
            {t('audit.clear')}
          </button>
        )}
      </form>
      {list.items === null ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.items.length === 0 ? (
        <p className="muted">{t('audit.empty')}</p>
      ) : (
        <ul className="items" data-testid="audit-entries">
          {list.items.map((entry) => (
            <AuditEntryRow key={entry.id} entry={entry} />
          ))}
        </ul>
      )}
      <MoreButton list={list} label={t('audit.more')} />
    </section>
  );
}
