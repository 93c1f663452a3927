import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { errorResponses, USER_SECURITY } from '../http/schemas.js';
import { AuditListResponse, AuditQuery } from './schemas.js';
import { listAuditEntries } from './service.js';

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
      const page = await listAuditEntries(deps, await requireActor(deps, req), req.query);
      return { success: true as const, entries: page.items, next_cursor: page.nextCursor };
    },
  );
}
