import { useState } from 'react';
import { useFormatTime } from '../common/use-format-time';
import { useI18n } from '../i18n/I18nContext';
import { DeleteTenantDialog } from './DeleteTenantDialog';
import { deleteTenant, formatBytes, setTenantActive, type Tenant } from './tenants-api';

/** One tenant: its state, counts and media usage; suspend, reactivate, delete. */
export function TenantRow({
  tenant,
  onChanged,
  onDeleted,
  onError,
}: {
  tenant: Tenant;
  onChanged: (x: Tenant) => void;
  onDeleted: (id: string) => void;
  onError: (e: unknown) => void;
}) {
  const { t, language } = useI18n();
  const time = useFormatTime();
  const [deleting, setDeleting] = useState(false);
  const toggle = () => {
    if (tenant.active && !window.confirm(t('tenants.suspendConfirm', { name: tenant.name }))) return;
    setTenantActive(tenant.id, !tenant.active).then(onChanged, onError);
  };
  const remove = () => deleteTenant(tenant.id).then(() => onDeleted(tenant.id), onError);
  const counts: [string, string, string | number][] = [
    ['users', t('tenants.users'), tenant.user_count],
    ['devices', t('tenants.devices'), tenant.device_count],
    ['connected', t('tenants.connected'), tenant.connected_device_count],
    ['media-files', t('tenants.mediaFiles'), tenant.media_files],
    ['media-bytes', t('tenants.mediaBytes'), formatBytes(tenant.media_bytes, language)],
  ];
  return (
    <li className="card item" data-testid="tenant" data-tenant-id={tenant.id} data-name={tenant.name} data-active={String(tenant.active)}>
      <div className="item-head">
        <span className="item-title">{tenant.name}</span>
        <span className={`badge ${tenant.active ? 'ok' : 'bad'}`} data-testid="tenant-state">
          {tenant.active ? t('tenants.active') : t('tenants.suspended')}
        </span>
      </div>
      <dl className="counts">
        {counts.map(([key, label, value]) => (
          <div key={key}>
            <dt>{label}</dt>
            <dd data-count={key}>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="item-meta">
        <span>{t('tenants.createdAt', { time: time(tenant.created_at) })}</span>
        {tenant.staged_webhook_url && <span>{t('tenants.stagedWebhook', { url: tenant.staged_webhook_url })}</span>}
      </div>
      {deleting ? (
        <DeleteTenantDialog tenant={tenant} onConfirm={() => void remove()} onCancel={() => setDeleting(false)} />
      ) : (
        <div className="actions">
          <button type="button" data-action={tenant.active ? 'suspend' : 'reactivate'} onClick={toggle}>
            {tenant.active ? t('tenants.suspend') : t('tenants.reactivate')}
          </button>
          <button type="button" className="danger" data-action="delete" onClick={() => setDeleting(true)}>
            {t('tenants.delete')}
          </button>
        </div>
      )}
    </li>
  );
}
