import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { errorResponses } from '../http/schemas.js';
import { renderDocsPage } from './docs-page.js';
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

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  let page: string | undefined;
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => {
    page ??= renderDocsPage(app.swagger() as unknown as Parameters<typeof renderDocsPage>[0]);
    return reply.type('text/html; charset=utf-8').send(page);
  });
}
