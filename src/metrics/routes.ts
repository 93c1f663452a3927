import { Type } from 'typebox';
import { requireMaster } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { MASTER_SECURITY, errorResponses } from '../http/schemas.js';
import { createMetrics } from './registry.js';

/** GET /metrics (Prometheus text format, master token) and the request counters behind it. */
export function registerMetrics(app: App, deps: Deps): void {
  const metrics = createMetrics();
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, never the raw URL: ids would make a series per resource.
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Process metrics and HTTP request counts and durations per route, in the Prometheus text format. Master token (Prometheus sends it as a bearer token).',
        tags: ['operations'],
        security: MASTER_SECURITY,
        response: { 200: Type.String({ description: 'text/plain; version=0.0.4' }), ...errorResponses(401, 403) },
      },
    },
    async (req, reply) => {
      await requireMaster(deps, req);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
