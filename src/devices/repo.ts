import type { Kysely } from 'kysely';
import type { Database, DeviceStatus, DevicesTable } from '../db/schema.js';
import { PreparedQuery } from '../db/prepared.js';
import type { RestrictionRow } from './restriction-repo.js';

export type DeviceRow = Omit<DevicesTable, 'auto_connect' | 'queued_count'> & { auto_connect: boolean; queued_count: number };

export async function insertDevice(db: Kysely<Database>, tenantId: string, row: Omit<DeviceRow, 'tenant_id'>): Promise<void> {
  await db
    .insertInto('devices')
    .values({ ...row, tenant_id: tenantId })
    .execute();
}

const findDeviceQuery = new PreparedQuery(['tenantId', 'id'], (db, p) =>
  db.selectFrom('devices').selectAll().where('tenant_id', '=', p.tenantId).where('id', '=', p.id),
);

export async function findDevice(db: Kysely<Database>, tenantId: string, id: string): Promise<DeviceRow | undefined> {
  return findDeviceQuery.first(db, { tenantId, id });
}

const findDeviceWithRestrictionQuery = new PreparedQuery(['tenantId', 'id'], (db, p) =>
  db
    .selectFrom('devices as d')
    .leftJoin('device_restrictions as r', (join) => join.onRef('r.device_id', '=', 'd.id').onRef('r.tenant_id', '=', 'd.tenant_id'))
    .selectAll('d')
    .select(['r.kind as r_kind', 'r.until as r_until', 'r.reason as r_reason', 'r.detail as r_detail', 'r.since as r_since', 'r.updated_at as r_updated_at'])
    .where('d.tenant_id', '=', p.tenantId)
    .where('d.id', '=', p.id),
);

/** A device and its restriction, if any, in one read (the device's API view needs both). */
export async function findDeviceWithRestriction(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<{ device: DeviceRow; restriction: RestrictionRow | undefined } | undefined> {
  const row = await findDeviceWithRestrictionQuery.first(db, { tenantId, id });
  if (!row) return undefined;
  const { r_kind, r_until, r_reason, r_detail, r_since, r_updated_at, ...device } = row;
  const restriction: RestrictionRow | undefined =
    r_kind === null
      ? undefined
      : {
          device_id: device.id,
          tenant_id: device.tenant_id,
          kind: r_kind,
          until: r_until,
          reason: r_reason!,
          detail: r_detail,
          since: r_since!,
          updated_at: r_updated_at!,
        };
  return { device: device as DeviceRow, restriction };
}

export async function listDevices(
  db: Kysely<Database>,
  tenantId: string,
  opts: { afterId?: string | undefined; limit: number; status?: DeviceStatus | undefined },
): Promise<DeviceRow[]> {
  let q = db.selectFrom('devices').selectAll().where('tenant_id', '=', tenantId);
  if (opts.afterId) q = q.where('id', '>', opts.afterId);
  if (opts.status) q = q.where('status', '=', opts.status);
  return q
    .orderBy('id')
    .limit(opts.limit + 1)
    .execute();
}

export async function countDevices(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateDevice(db: Kysely<Database>, tenantId: string, id: string, set: Partial<Omit<DeviceRow, 'id' | 'tenant_id'>>): Promise<void> {
  await db.updateTable('devices').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteDevice(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('devices').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function tenantDeviceIds(db: Kysely<Database>, tenantId: string): Promise<string[]> {
  return (await db.selectFrom('devices').select('id').where('tenant_id', '=', tenantId).execute()).map((r) => r.id);
}

export async function hasSession(db: Kysely<Database>, tenantId: string, deviceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('device_auth_creds')
    .select('device_id')
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The device no longer reconnects; the states on the way to a connection become `disconnected`, the others (logged out, failed) stay. */
export async function markNotWanted(db: Kysely<Database>, tenantId: string, deviceId: string, reason: string, now: string): Promise<void> {
  await updateDevice(db, tenantId, deviceId, { auto_connect: false, updated_at: now });
  await db
    .updateTable('devices')
    .set({ status: 'disconnected', reason, qr: null, qr_updated_at: null, pairing_code: null, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', deviceId)
    .where('status', 'in', ['connecting', 'qr', 'connected', 'disconnected'])
    .execute();
}
