import { api, query } from '../api/client';
import type { ListPage } from '../common/use-paged-list';

/** A tenant as GET /tenants shows it to the operator, with its counts and media usage. */
export interface Tenant {
  id: string;
  name: string;
  active: boolean;
  staged_webhook_url: string | null;
  user_count: number;
  device_count: number;
  connected_device_count: number;
  media_bytes: number;
  media_files: number;
  created_at: string;
  updated_at: string;
}

export interface TenantFilter {
  namePrefix?: string | undefined;
  active?: boolean | undefined;
}

export const listTenants = (filter: TenantFilter, cursor?: string): Promise<ListPage<Tenant>> =>
  api<{ tenants: Tenant[]; next_cursor: string | null }>(
    'GET',
    `/tenants${query({ limit: 100, cursor, name_prefix: filter.namePrefix, active: filter.active === undefined ? undefined : String(filter.active) })}`,
  ).then((a) => ({ items: a.tenants, next: a.next_cursor }));

export const setTenantActive = (id: string, active: boolean) => api<{ tenant: Tenant }>('PUT', `/tenants/${id}`, { active }).then((a) => a.tenant);
export const deleteTenant = (id: string) => api('DELETE', `/tenants/${id}`);

/** Bytes in words: 0 B, 12.3 KB, 4.5 MB, 1.2 GB. */
export function formatBytes(bytes: number, language: string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString(language, { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${units[unit]}`;
}
