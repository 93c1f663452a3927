import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { PreparedQuery } from '../db/prepared.js';

/**
 * A device's WhatsApp session rows: Baileys creds in `device_auth_creds`, Signal keys in
 * `device_auth_keys`. Every query names both the tenant and the device.
 */

/** Ids per `in (...)` list. SQLite binds at most 32,766 parameters (older builds 999) and PostgreSQL 65,535. */
export const IDS_PER_STATEMENT = 400;
/** Key rows per upsert: 5 columns x 150 rows stays far below both limits. */
export const KEYS_PER_UPSERT = 150;

export interface KeyRow {
  type: string;
  id: string;
  value: string;
}

/** Whether the device exists and is the tenant's (writes check it first, in their transaction). */
const deviceExistsQuery = new PreparedQuery(['tenantId', 'deviceId'], (db, p) =>
  db.selectFrom('devices').select('id').where('tenant_id', '=', p.tenantId).where('id', '=', p.deviceId),
);

export async function deviceExists(trx: Transaction<Database>, tenantId: string, deviceId: string): Promise<boolean> {
  return !!(await deviceExistsQuery.first(trx, { tenantId, deviceId }));
}

export async function readCreds(db: Kysely<Database>, tenantId: string, deviceId: string): Promise<string | null> {
  const row = await db
    .selectFrom('device_auth_creds')
    .select('creds_json')
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return row?.creds_json ?? null;
}

export async function upsertCreds(trx: Transaction<Database>, tenantId: string, deviceId: string, json: string, updatedAt: string): Promise<void> {
  await trx
    .insertInto('device_auth_creds')
    .values({ device_id: deviceId, tenant_id: tenantId, creds_json: json, updated_at: updatedAt })
    .onConflict((oc) => oc.column('device_id').doUpdateSet({ creds_json: json, updated_at: updatedAt }).where('device_auth_creds.tenant_id', '=', tenantId))
    .execute();
}

/** Keys of one type by id (at most IDS_PER_STATEMENT ids). */
export async function readKeys(
  db: Kysely<Database>,
  tenantId: string,
  deviceId: string,
  type: string,
  ids: string[],
): Promise<{ key_id: string; value_json: string }[]> {
  return db
    .selectFrom('device_auth_keys')
    .select(['key_id', 'value_json'])
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('type', '=', type)
    .where('key_id', 'in', ids)
    .execute();
}

/** Inserts or replaces keys (at most KEYS_PER_UPSERT, each (type, id) once). */
export async function upsertKeys(trx: Transaction<Database>, tenantId: string, deviceId: string, keys: KeyRow[]): Promise<void> {
  const rows = keys.map((e) => ({ device_id: deviceId, tenant_id: tenantId, type: e.type, key_id: e.id, value_json: e.value }));
  await trx
    .insertInto('device_auth_keys')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['device_id', 'type', 'key_id'])
        .doUpdateSet((eb) => ({ value_json: eb.ref('excluded.value_json') }))
        .where('device_auth_keys.tenant_id', '=', tenantId),
    )
    .execute();
}

/** Deletes keys of one type by id (at most IDS_PER_STATEMENT ids). */
export async function deleteKeys(trx: Transaction<Database>, tenantId: string, deviceId: string, type: string, ids: string[]): Promise<void> {
  await trx
    .deleteFrom('device_auth_keys')
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('type', '=', type)
    .where('key_id', 'in', ids)
    .execute();
}

export async function deleteSession(trx: Transaction<Database>, tenantId: string, deviceId: string): Promise<void> {
  await trx.deleteFrom('device_auth_keys').where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).execute();
  await trx.deleteFrom('device_auth_creds').where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).execute();
}

/** The WhatsApp endpoint the device's session was linked on; null when it has no linked session. */
export async function linkedEndpoint(db: Kysely<Database>, tenantId: string, deviceId: string): Promise<string | null> {
  const row = await db
    .selectFrom('device_auth_creds')
    .select('linked_endpoint')
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return row?.linked_endpoint ?? null;
}

/** Records the endpoint a session was just linked on; a session that has one keeps it. */
export async function recordLinkedEndpoint(db: Kysely<Database>, tenantId: string, deviceId: string, endpoint: string): Promise<void> {
  await db
    .updateTable('device_auth_creds')
    .set({ linked_endpoint: endpoint })
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('linked_endpoint', 'is', null)
    .execute();
}

/** Platform query across tenants (start-up): linked sessions per endpoint other than `endpoint`. */
export async function sessionsLinkedElsewhere(db: Kysely<Database>, endpoint: string): Promise<{ endpoint: string; sessions: number }[]> {
  const rows = await db
    .selectFrom('device_auth_creds')
    .select(['linked_endpoint', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('linked_endpoint', 'is not', null)
    .where('linked_endpoint', '<>', endpoint)
    .groupBy('linked_endpoint')
    .orderBy('linked_endpoint')
    .execute();
  return rows.map((r) => ({ endpoint: r.linked_endpoint!, sessions: Number(r.n) }));
}
