import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { METRICS_SECURITY, errorResponses } from '../http/schemas.js';
import { authorizeScrape } from './access.js';
import { createMetrics } from './registry.js';
import { countDeadLetters } from '../messages/dead-letters.js';

/** GET /metrics (Prometheus text format; the metrics token, or loopback callers) and the request counters behind it. */
export function registerMetrics(app: App, deps: Deps): void {
  const metrics = createMetrics({ deadLetters: () => countDeadLetters(deps) });
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
          'Process metrics, HTTP request counts and durations per route, and `wuts_inbound_dead_letters` (received messages waiting in GET /dead-letters), in the Prometheus text format. With WUTS_METRICS_TOKEN set: that token as a bearer token (Prometheus `authorization` / `bearer_token`), from any address; 401 without it. Without WUTS_METRICS_TOKEN: no token, from a loopback address (127.0.0.0/8, ::1) only, not through a proxy (a request carrying Forwarded, X-Forwarded-For or X-Real-IP); 403 otherwise. The master token is not accepted.',
        tags: ['operations'],
        security: METRICS_SECURITY,
        response: { 200: Type.String({ description: 'text/plain; version=0.0.4' }), ...errorResponses(401, 403) },
      },
    },
    async (req, reply) => {
      authorizeScrape(deps.config, { headers: req.headers, peerAddress: req.socket.remoteAddress });
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
