import type { DeviceStatus } from '../api/types';
import { useT } from '../i18n/I18nContext';

export function StatusBadge({ status }: { status: DeviceStatus }) {
  const t = useT();
  return (
    <span className={`badge status-${status}`} data-testid="device-status" data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}
