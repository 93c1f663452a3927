import type { Static } from 'typebox';
import type { Actor } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { badRequest } from '../lib/errors.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { apiTime } from '../lib/time.js';
import { listAudit, type AuditRow } from './repo.js';
import type { AuditEntrySchema } from './schemas.js';

export type ApiAuditEntry = Static<typeof AuditEntrySchema>;

function toApi(row: AuditRow): ApiAuditEntry {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    actor: { type: row.actor_type, user_id: row.actor_user_id, email: row.actor_email, role: row.actor_role },
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    before: row.before_json ? JSON.parse(row.before_json) : null,
    after: row.after_json ? JSON.parse(row.after_json) : null,
    created_at: apiTime(row.created_at),
  };
}

/** The audit log, newest first: a tenant admin reads its tenant; the master token everything, or one tenant. */
export async function listAuditEntries(
  deps: Deps,
  actor: Actor,
  query: { limit?: number | undefined; cursor?: string | undefined; action?: string | undefined; tenant_id?: string | undefined },
): Promise<Page<ApiAuditEntry>> {
  authorize(actor, 'audit.read');
  if (actor.type === 'user' && query.tenant_id !== undefined) throw badRequest('tenant_id is a filter for the master token only');
  const tenantId = actor.type === 'user' ? actor.tenantId : query.tenant_id;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const rows = await listAudit(deps.db.kysely, tenantId, { beforeId: decodeCursor(query.cursor), limit, action: query.action });
  const page = toPage(rows, limit);
  return { items: page.items.map(toApi), nextCursor: page.nextCursor };
}
