import type { Kysely } from 'kysely';
import { PreparedQuery } from '../db/prepared.js';
import type { Database, DeviceRestrictionsTable } from '../db/schema.js';

export type RestrictionRow = DeviceRestrictionsTable;

const findRestrictionQuery = new PreparedQuery(['tenantId', 'deviceId'], (db, p) =>
  db.selectFrom('device_restrictions').selectAll().where('tenant_id', '=', p.tenantId).where('device_id', '=', p.deviceId),
);

export async function findRestriction(db: Kysely<Database>, tenantId: string, deviceId: string): Promise<RestrictionRow | undefined> {
  return findRestrictionQuery.first(db, { tenantId, deviceId });
}

/** The restrictions of some devices of the tenant (a page of the device list). */
export async function restrictionsOf(db: Kysely<Database>, tenantId: string, deviceIds: string[]): Promise<RestrictionRow[]> {
  if (deviceIds.length === 0) return [];
  return db.selectFrom('device_restrictions').selectAll().where('tenant_id', '=', tenantId).where('device_id', 'in', deviceIds).execute();
}

export async function saveRestriction(db: Kysely<Database>, row: RestrictionRow): Promise<void> {
  const { device_id: _device, tenant_id: _tenant, ...changes } = row;
  await db
    .insertInto('device_restrictions')
    .values(row)
    .onConflict((oc) => oc.column('device_id').doUpdateSet(changes))
    .execute();
}

/** Removes the device's restriction; `until` set: only that one (not one renewed meanwhile). Answers whether a row went. */
export async function removeRestriction(db: Kysely<Database>, tenantId: string, deviceId: string, until?: string | null): Promise<boolean> {
  let q = db.deleteFrom('device_restrictions').where('tenant_id', '=', tenantId).where('device_id', '=', deviceId);
  if (until !== undefined) q = until === null ? q.where('until', 'is', null) : q.where('until', '=', until);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Worker query across tenants: restrictions whose time passed. */
export async function expiredRestrictions(db: Kysely<Database>, now: string, limit: number): Promise<RestrictionRow[]> {
  return db.selectFrom('device_restrictions').selectAll().where('until', '<=', now).orderBy('until').limit(limit).execute();
}
