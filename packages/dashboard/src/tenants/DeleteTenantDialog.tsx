import { useState, type FormEvent } from 'react';
import { useT } from '../i18n/I18nContext';
import type { Tenant } from './tenants-api';

/** Deleting a tenant removes all its data: the operator types its name to confirm. */
export function DeleteTenantDialog({ tenant, onConfirm, onCancel }: { tenant: Tenant; onConfirm: () => void; onCancel: () => void }) {
  const t = useT();
  const [typed, setTyped] = useState('');
  const matches = typed.trim() === tenant.name.trim();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (matches) onConfirm();
  };
  return (
    <form className="card dialog stack" data-testid="delete-tenant" onSubmit={submit}>
      <strong>{t('tenants.deleteTitle', { name: tenant.name })}</strong>
      <span>{t('tenants.deleteWarning')}</span>
      <label>
        {t('tenants.typeName', { name: tenant.name })}
        <input name="confirm-name" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
      </label>
      <div className="actions">
        <button type="submit" className="danger" data-action="confirm-delete" disabled={!matches}>
          {t('tenants.deleteForever')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('tenants.cancel')}
        </button>
      </div>
    </form>
  );
}
