import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireMaster } from '../auth/authenticate.js';
import { IdParams, MASTER_SECURITY, SuccessOnly, errorResponses } from '../http/schemas.js';
import { DeadLetterListResponse, DeadLetterQuery } from './dead-letter-schemas.js';
import { dropDeadLetter, listDeadLetters, retryDeadLetter } from './dead-letters.js';

export function registerDeadLetterRoutes(app: App, deps: Deps): void {
  app.get(
    '/dead-letters',
    {
      schema: {
        summary: 'List received messages that could not be stored',
        description:
          'A received message is stored before WhatsApp is told it arrived. One that still could not be stored after WUTS_INBOUND_STORE_ATTEMPTS tries is parked here (and acknowledged), so that it does not hold back the messages after it. Oldest first, all tenants or one (`tenant_id`). Master token only.',
        tags: ['platform'],
        security: MASTER_SECURITY,
        querystring: DeadLetterQuery,
        response: { 200: DeadLetterListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const page = await listDeadLetters(deps, await requireMaster(deps, req), req.query);
      return { success: true as const, dead_letters: page.items, next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/dead-letters/:id/retry',
    {
      schema: {
        summary: 'Store a parked message again',
        description:
          'Stores the message (with its `message.received` or other event) once the cause is fixed, and removes it from the list. A message WhatsApp delivered again meanwhile is not stored twice. 503 `store_failed` when it still cannot be stored. Audited.',
        tags: ['platform'],
        security: MASTER_SECURITY,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req) => {
      await retryDeadLetter(deps, await requireMaster(deps, req), req.params.id);
      return { success: true as const };
    },
  );

  app.delete(
    '/dead-letters/:id',
    {
      schema: {
        summary: 'Drop a parked message',
        description: 'Removes a parked message for good, without storing it. Audited.',
        tags: ['platform'],
        security: MASTER_SECURITY,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await dropDeadLetter(deps, await requireMaster(deps, req), req.params.id);
      return { success: true as const };
    },
  );
}
