import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { ClusterNodesTable, Database } from '../db/schema.js';
import { dbNowMs } from '../db/clock.js';

export type NodeRow = ClusterNodesTable;

/** Writes the node's row with a fresh heartbeat; answers the database's time of it (ms). */
export async function beat(db: Kysely<Database>, dialect: DialectName, node: Omit<NodeRow, 'heartbeat_ms'>): Promise<number> {
  const now = dbNowMs(dialect);
  const row = await db
    .insertInto('cluster_nodes')
    .values({ ...node, heartbeat_ms: now })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        role: node.role,
        version: node.version,
        capacity: node.capacity,
        draining: node.draining,
        started_at: node.started_at,
        heartbeat_ms: now,
      }),
    )
    .returning('heartbeat_ms')
    .executeTakeFirstOrThrow();
  return Number(row.heartbeat_ms);
}

/** Every node known, the database's time now, and how many current leases each holds. */
export async function nodesWithLeases(db: Kysely<Database>, dialect: DialectName): Promise<{ now: number; nodes: (NodeRow & { held: number })[] }> {
  const { now } = await sql<{ now: number | string }>`select ${dbNowMs(dialect)} as now`.execute(db).then((r) => r.rows[0]!);
  const nowMs = Number(now);
  const nodes = await db
    .selectFrom('cluster_nodes as n')
    .selectAll('n')
    .select((eb) =>
      eb
        .selectFrom('device_leases as l')
        .select(eb.fn.countAll<number | string>().as('c'))
        .whereRef('l.node_id', '=', 'n.id')
        .where('l.expires_ms', '>', nowMs)
        .as('held'),
    )
    .orderBy('n.id')
    .execute();
  return { now: nowMs, nodes: nodes.map((n) => ({ ...n, heartbeat_ms: Number(n.heartbeat_ms), held: Number(n.held ?? 0) })) };
}

export async function removeNode(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('cluster_nodes').where('id', '=', id).execute();
}

/** Forgets nodes silent for longer than `silentMs` (they crashed long ago; GET /cluster stops listing them). */
export async function forgetSilentNodes(db: Kysely<Database>, dialect: DialectName, silentMs: number): Promise<void> {
  await db
    .deleteFrom('cluster_nodes')
    .where('heartbeat_ms', '<', sql<number>`${dbNowMs(dialect)} - ${silentMs}`)
    .execute();
}
