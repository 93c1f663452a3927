import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { errorResponses } from '../http/schemas.js';
import { registerDocsRoutes } from './docs-routes.js';
import { readiness } from './service.js';

const Status = (value: string) => Type.Object({ success: Type.Literal(true), status: Type.Literal(value) }, { additionalProperties: false });

export function registerPlatformRoutes(app: App, deps: Deps): void {
  app.get(
    '/health',
    { schema: { summary: 'Liveness', description: 'The process is up and serving.', tags: ['operations'], security: [], response: { 200: Status('ok') } } },
    async () => ({ success: true as const, status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness',
        description: 'The database answers and every migration is applied; 503 otherwise.',
        tags: ['operations'],
        security: [],
        response: { 200: Status('ready'), 503: errorResponses(503)[503]! },
      },
    },
    async (_req, reply) => {
      const state = await readiness(deps);
      if (!state.ready) return reply.code(503).send({ success: false, error: state.reason, code: 'not_ready' });
      return { success: true as const, status: 'ready' as const };
    },
  );

  registerDocsRoutes(app);
}
