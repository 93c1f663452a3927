import { sql, type Kysely, type Transaction } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { dbNowMs } from '../db/clock.js';

/**
 * Device leases: a node holds a device while its lease is current; each new holder gets a
 * higher epoch. Times are the database's (dbNowMs).
 */

export interface HeldLease {
  deviceId: string;
  epoch: number;
}

/** Extends every lease the node holds; answers those it still holds (one it lost is missing). */
export async function renewLeases(db: Kysely<Database>, dialect: DialectName, nodeId: string, leaseMs: number): Promise<HeldLease[]> {
  const rows = await db
    .updateTable('device_leases')
    .set({ expires_ms: sql<number>`${dbNowMs(dialect)} + ${leaseMs}` })
    .where('node_id', '=', nodeId)
    .returning(['device_id', 'epoch'])
    .execute();
  return rows.map((r) => ({ deviceId: r.device_id, epoch: Number(r.epoch) }));
}

/**
 * Takes the device's lease when nobody holds it (released, expired, or held under this node's
 * own id by an earlier run of it); answers the new epoch, or null when another node holds it
 * (or the device is gone).
 */
export async function acquireLease(
  db: Kysely<Database>,
  dialect: DialectName,
  nodeId: string,
  device: { id: string; tenantId: string },
  leaseMs: number,
): Promise<number | null> {
  const now = dbNowMs(dialect);
  try {
    return await db.transaction().execute(async (trx) => {
      // A holder's write key-share-locks the lease row (holdsLease): this lock waits for the writes in
      // flight, so none of them commits after the takeover. (The upsert alone would not wait: it
      // changes no key column.)
      if (dialect === 'postgres') await trx.selectFrom('device_leases').select('device_id').where('device_id', '=', device.id).forUpdate().execute();
      const row = await trx
        .insertInto('device_leases')
        .values({ device_id: device.id, tenant_id: device.tenantId, node_id: nodeId, epoch: 1, expires_ms: sql<number>`${now} + ${leaseMs}` })
        .onConflict((oc) =>
          oc
            .column('device_id')
            .doUpdateSet({ node_id: nodeId, epoch: sql<number>`device_leases.epoch + 1`, expires_ms: sql<number>`${now} + ${leaseMs}` })
            .where((eb) =>
              eb.or([eb('device_leases.node_id', 'is', null), eb('device_leases.expires_ms', '<', now), eb('device_leases.node_id', '=', nodeId)]),
            ),
        )
        .returning('epoch')
        .executeTakeFirst();
      return row ? Number(row.epoch) : null;
    });
  } catch (err) {
    if (await deviceGone(db, device.id)) return null; // deleted meanwhile: its foreign key refused the lease
    throw err;
  }
}

async function deviceGone(db: Kysely<Database>, deviceId: string): Promise<boolean> {
  return !(await db.selectFrom('devices').select('id').where('id', '=', deviceId).executeTakeFirst());
}

/** Gives the devices up (their epochs stay, so the next holder's are higher). */
export async function releaseLeases(db: Kysely<Database>, nodeId: string, deviceIds: string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await db.updateTable('device_leases').set({ node_id: null, expires_ms: 0 }).where('node_id', '=', nodeId).where('device_id', 'in', deviceIds).execute();
}

/** SQLite runs one node (its data directory is locked): whatever an earlier run held is free. */
export async function releaseAllLeases(db: Kysely<Database>): Promise<void> {
  await db.updateTable('device_leases').set({ node_id: null, expires_ms: 0 }).where('node_id', 'is not', null).execute();
}

/** The node holding the device now, if any. */
export async function holderOf(db: Kysely<Database>, dialect: DialectName, deviceId: string): Promise<{ nodeId: string; epoch: number } | undefined> {
  const row = await db
    .selectFrom('device_leases')
    .select(['node_id', 'epoch'])
    .where('device_id', '=', deviceId)
    .where('node_id', 'is not', null)
    .where('expires_ms', '>', dbNowMs(dialect))
    .executeTakeFirst();
  return row?.node_id ? { nodeId: row.node_id, epoch: Number(row.epoch) } : undefined;
}

/** Devices that should be connected (auto_connect, tenant active). */
const wantedDevices = (db: Kysely<Database>) =>
  db.selectFrom('devices as d').innerJoin('tenants as t', 't.id', 'd.tenant_id').where('d.auto_connect', '=', true).where('t.active', '=', true);

export async function countWanted(db: Kysely<Database>): Promise<number> {
  const row = await wantedDevices(db)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Wanted devices nobody holds, in random order (nodes taking at once spread over them). A device
 * never started (no session, never held) is left to the connect that asked for it (its node
 * takes it, with the pairing phone it was given).
 */
export async function unheldWanted(db: Kysely<Database>, dialect: DialectName, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  return wantedDevices(db)
    .leftJoin('device_leases as l', 'l.device_id', 'd.id')
    .select(['d.id', 'd.tenant_id'])
    .leftJoin('device_auth_creds as c', 'c.device_id', 'd.id')
    .where((eb) => eb.or([eb('l.node_id', 'is', null), eb('l.expires_ms', '<', dbNowMs(dialect))]))
    .where((eb) => eb.or([eb('c.device_id', 'is not', null), eb('l.device_id', 'is not', null)]))
    .orderBy(sql`random()`)
    .limit(limit)
    .execute();
}

export async function countUnheldWanted(db: Kysely<Database>, dialect: DialectName): Promise<number> {
  const row = await wantedDevices(db)
    .leftJoin('device_leases as l', 'l.device_id', 'd.id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where((eb) => eb.or([eb('l.device_id', 'is', null), eb('l.node_id', 'is', null), eb('l.expires_ms', '<', dbNowMs(dialect))]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Devices this node holds that should no longer be connected (disconnected, tenant suspended, gone). */
export async function heldUnwanted(db: Kysely<Database>, nodeId: string): Promise<{ device_id: string; tenant_id: string; suspended: boolean }[]> {
  const rows = await db
    .selectFrom('device_leases as l')
    .leftJoin('devices as d', 'd.id', 'l.device_id')
    .leftJoin('tenants as t', 't.id', 'l.tenant_id')
    .select(['l.device_id', 'l.tenant_id', 'd.auto_connect', 't.active'])
    .where('l.node_id', '=', nodeId)
    .where((eb) => eb.or([eb('d.auto_connect', '=', false), eb('t.active', '=', false), eb('d.id', 'is', null)]))
    .execute();
  return rows.map((r) => ({ device_id: r.device_id, tenant_id: r.tenant_id, suspended: r.active === false || (r.active as unknown) === 0 }));
}

/** Current leases per node. */
export async function leasesPerNode(db: Kysely<Database>, dialect: DialectName): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('device_leases')
    .select(['node_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('node_id', 'is not', null)
    .where('expires_ms', '>', dbNowMs(dialect))
    .groupBy('node_id')
    .execute();
  return new Map(rows.map((r) => [r.node_id!, Number(r.n)]));
}

/**
 * Inside a holder's write: the lease is still this node's under this epoch. On PostgreSQL the
 * row is key-share-locked until the write commits: a takeover (which locks it FOR UPDATE) waits
 * for the write, and a write after a takeover finds a newer epoch; the renewal (an update of no
 * key column) does not wait for it.
 */
export async function holdsLease(trx: Transaction<Database>, dialect: DialectName, deviceId: string, nodeId: string, epoch: number): Promise<boolean> {
  let query = trx.selectFrom('device_leases').select('device_id').where('device_id', '=', deviceId).where('node_id', '=', nodeId).where('epoch', '=', epoch);
  if (dialect === 'postgres') query = query.forKeyShare();
  return !!(await query.executeTakeFirst());
}

/** The device's status (any tenant: the node routing a command knows only its id). */
export async function deviceStatus(db: Kysely<Database>, deviceId: string): Promise<string | undefined> {
  const row = await db.selectFrom('devices').select('status').where('id', '=', deviceId).executeTakeFirst();
  return row?.status;
}
