import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { METRICS_SECURITY, errorResponses } from '../http/schemas.js';
import { authorizeScrape } from './access.js';
import { createMetrics } from './registry.js';
import { countDeadLetters } from '../messages/dead-letters.js';
import { countLiveNodes } from '../cluster/service.js';

/** GET /metrics (Prometheus text format; the metrics token, or loopback callers) and the request counters behind it. */
export function registerMetrics(app: App, deps: Deps): void {
  const metrics = createMetrics({ deadLetters: () => countDeadLetters(deps), liveNodes: () => countLiveNodes(deps), node: () => deps.bus.node() });
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
          'Process metrics, HTTP request counts and durations per route, `wuts_inbound_dead_letters` (received messages waiting in GET /dead-letters), and the cluster: `wuts_cluster_nodes_alive`, `wuts_node_devices_held` and `wuts_node_devices_connected` of the answering node, its lease counters (`wuts_node_leases_acquired_total`, `_lost_total`, `_released_total`) and command counters (`wuts_cluster_commands_sent_total`, `_served_total`, `_timed_out_total`), in the Prometheus text format. With WUTS_METRICS_TOKEN set: that token as a bearer token (Prometheus `authorization` / `bearer_token`), from any address; 401 without it. Without WUTS_METRICS_TOKEN: no token, from a loopback address (127.0.0.0/8, ::1) only, not through a proxy (a request carrying Forwarded, X-Forwarded-For or X-Real-IP); 403 otherwise. The master token is not accepted.',
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
