import type { Static } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { authorize } from '../auth/policy.js';
import { errorResponses, USER_SECURITY } from '../http/schemas.js';
import { badRequest } from '../lib/errors.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage } from '../lib/pagination.js';
import { apiTime } from '../lib/time.js';
import { listAudit, type AuditRow } from './repo.js';
import { AuditListResponse, AuditQuery, type AuditEntrySchema } from './schemas.js';

function toApi(row: AuditRow): Static<typeof AuditEntrySchema> {
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

export function registerAuditRoutes(app: App, deps: Deps): void {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Read the audit log',
        description:
          'Every change made by an admin, a supervisor or the master token: who, what, when, before and after. Newest first. Tenant admins read their own tenant; the master token reads everything, or one tenant with `tenant_id`.',
        tags: ['audit'],
        security: USER_SECURITY,
        querystring: AuditQuery,
        response: { 200: AuditListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const actor = await requireActor(deps, req);
      authorize(actor, 'audit.read');
      if (actor.type === 'user' && req.query.tenant_id !== undefined) {
        throw badRequest('tenant_id is a filter for the master token only');
      }
      const tenantId = actor.type === 'user' ? actor.tenantId : req.query.tenant_id;
      const limit = req.query.limit ?? DEFAULT_PAGE_SIZE;
      const rows = await listAudit(deps.db.kysely, tenantId, { beforeId: decodeCursor(req.query.cursor), limit, action: req.query.action });
      const page = toPage(rows, limit);
      return { success: true as const, entries: page.items.map(toApi), next_cursor: page.nextCursor };
    },
  );
}
