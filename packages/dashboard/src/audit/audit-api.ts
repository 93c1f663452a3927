import { api, query } from '../api/client';
import type { Role } from '../api/types';
import type { ListPage } from '../common/use-paged-list';

export interface AuditEntry {
  id: string;
  tenant_id: string | null;
  actor: { type: 'master' | 'user'; user_id: string | null; email: string | null; role: Role | null };
  action: string;
  target_type: string;
  target_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  created_at: string;
}

/** The actions the audit log records (GET /audit?action= filters by one, exactly). */
export const AUDIT_ACTIONS: readonly string[] = [
  'user.create',
  'user.update',
  'user.delete',
  'user.password_change',
  'token.create',
  'token.revoke',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.rotate_secret',
  'delivery.retry',
  'device.create',
  'device.delete',
  'device.connect',
  'device.disconnect',
  'device.logout',
  'device.send_interval',
  'group.create',
  'group.update',
  'group.invite.revoke',
  'group.join',
  'group.leave',
  'group.picture.set',
  'group.picture.remove',
  'tenant.register',
  'tenant.update',
];

export const listAudit = (action: string | undefined, cursor?: string): Promise<ListPage<AuditEntry>> =>
  api<{ entries: AuditEntry[]; next_cursor: string | null }>('GET', `/audit${query({ limit: 50, cursor, action })}`).then((a) => ({
    items: a.entries,
    next: a.next_cursor,
  }));
