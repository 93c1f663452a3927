import type { Static } from 'typebox';
import type { Actor } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { AppError } from '../lib/errors.js';
import { countUnheldWanted, countWanted, leasesPerNode } from './leases-repo.js';
import { nodesWithLeases } from './nodes-repo.js';
import type { ClusterResponse } from './schemas.js';

/** The cluster as the operator sees it: every node known, its heartbeat and devices, and the devices nobody holds. */
export async function clusterView(deps: Deps, actor: Actor): Promise<Static<typeof ClusterResponse>> {
  authorize(actor, 'tenants.manage');
  const node = deps.bus.node();
  if (!node) throw new AppError(503, 'devices_unavailable', 'this node has not joined the cluster yet (starting or shutting down)');
  const db = deps.db.kysely;
  const { now, nodes } = await nodesWithLeases(db, deps.db.dialect);
  const [wanted, unheld, perNode] = await Promise.all([countWanted(db), countUnheldWanted(db, deps.db.dialect), leasesPerNode(db, deps.db.dialect)]);
  return {
    success: true,
    node_id: node.nodeId,
    nodes: nodes.map((n) => ({
      id: n.id,
      role: n.role,
      version: n.version,
      started_at: new Date(n.started_at).toISOString(),
      heartbeat_at: new Date(n.heartbeat_ms).toISOString(),
      alive: n.heartbeat_ms > now - deps.config.cluster.leaseMs,
      draining: n.draining,
      capacity: n.capacity,
      devices_held: n.held,
    })),
    devices: { wanted, held: [...perNode.values()].reduce((sum, n) => sum + n, 0), unheld },
  };
}

/** Nodes whose heartbeat is current (the /metrics gauge). */
export async function countLiveNodes(deps: Deps): Promise<number> {
  const { now, nodes } = await nodesWithLeases(deps.db.kysely, deps.db.dialect);
  return nodes.filter((n) => n.heartbeat_ms > now - deps.config.cluster.leaseMs).length;
}
