import { requireMaster } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { MASTER_SECURITY, errorResponses } from '../http/schemas.js';
import { ClusterResponse } from './schemas.js';
import { clusterView } from './service.js';

export function registerClusterRoutes(app: App, deps: Deps): void {
  app.get(
    '/cluster',
    {
      schema: {
        summary: 'The cluster: nodes, heartbeats, devices held',
        description:
          'Master token only. Every node sharing this database (the ones silent for an hour are forgotten), whether it is alive (heartbeat younger than WUTS_CLUSTER_LEASE_MS), draining, how many devices it holds, and how many wanted devices no node holds. On SQLite, the one node.',
        tags: ['operations'],
        security: MASTER_SECURITY,
        response: { 200: ClusterResponse, ...errorResponses(401, 403, 503) },
      },
    },
    async (req) => clusterView(deps, await requireMaster(deps, req)),
  );
}
