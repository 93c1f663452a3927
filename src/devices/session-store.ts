import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import type { SessionStore } from '../whatsapp/provider.js';
import { nowIso } from '../lib/time.js';

/**
 * Rows per statement. SQLite binds at most 32,766 parameters (older builds 999) and
 * PostgreSQL 65,535; 5 columns x 150 rows and 400 ids stay far below both.
 */
const UPSERT_CHUNK = 150;
const DELETE_CHUNK = 400;

/**
 * One promise chain per device (tenant + device): every operation of a device, reads
 * included, runs after the previous one settled, so writes land in call order and a read
 * sees every write requested before it, even across store instances in this process.
 */
const chains = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, op: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const run = previous.then(op, op);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key);
  });
  return run;
}

export class DeviceNotFoundError extends Error {
  constructor(tenantId: string, deviceId: string) {
    super(`device ${deviceId} of tenant ${tenantId} does not exist`);
    this.name = 'DeviceNotFoundError';
  }
}

/**
 * A device's WhatsApp session (Baileys creds and Signal keys) in `device_auth_creds` and
 * `device_auth_keys`. Every query names both the tenant and the device; a write for a device
 * that is not the tenant's (or no longer exists) fails with DeviceNotFoundError.
 */
export function createDbSessionStore(db: Db, tenantId: string, deviceId: string): SessionStore {
  const k = db.kysely;
  const chainKey = `${tenantId}/${deviceId}`;

  async function assertDevice(trx: Transaction<Database>): Promise<void> {
    const row = await trx.selectFrom('devices').select('id').where('tenant_id', '=', tenantId).where('id', '=', deviceId).executeTakeFirst();
    if (!row) throw new DeviceNotFoundError(tenantId, deviceId);
  }

  return {
    readCreds: () =>
      serialised(chainKey, async () => {
        const row = await k
          .selectFrom('device_auth_creds')
          .select('creds_json')
          .where('tenant_id', '=', tenantId)
          .where('device_id', '=', deviceId)
          .executeTakeFirst();
        return row?.creds_json ?? null;
      }),

    writeCreds: (json) =>
      serialised(chainKey, () =>
        k.transaction().execute(async (trx) => {
          await assertDevice(trx);
          const updatedAt = nowIso();
          await trx
            .insertInto('device_auth_creds')
            .values({ device_id: deviceId, tenant_id: tenantId, creds_json: json, updated_at: updatedAt })
            .onConflict((oc) =>
              oc.column('device_id').doUpdateSet({ creds_json: json, updated_at: updatedAt }).where('device_auth_creds.tenant_id', '=', tenantId),
            )
            .execute();
        }),
      ),

    readKeys: (type, ids) =>
      serialised(chainKey, async () => {
        const found = new Map<string, string>();
        const unique = [...new Set(ids)];
        for (let i = 0; i < unique.length; i += DELETE_CHUNK) {
          const rows = await k
            .selectFrom('device_auth_keys')
            .select(['key_id', 'value_json'])
            .where('tenant_id', '=', tenantId)
            .where('device_id', '=', deviceId)
            .where('type', '=', type)
            .where('key_id', 'in', unique.slice(i, i + DELETE_CHUNK))
            .execute();
          for (const row of rows) found.set(row.key_id, row.value_json);
        }
        return found;
      }),

    writeKeys: (entries) => {
      // The last value for a (type, id) wins; one statement must not touch a row twice.
      const latest = new Map<string, { type: string; id: string; value: string | null }>();
      for (const e of entries) latest.set(`${e.type}\u0000${e.id}`, e);
      const upserts = [...latest.values()].filter((e): e is { type: string; id: string; value: string } => e.value !== null);
      const deletes = new Map<string, string[]>();
      for (const e of latest.values()) {
        if (e.value === null) {
          const ids = deletes.get(e.type) ?? [];
          ids.push(e.id);
          deletes.set(e.type, ids);
        }
      }
      if (upserts.length === 0 && deletes.size === 0) return Promise.resolve();
      return serialised(chainKey, () =>
        k.transaction().execute(async (trx) => {
          await assertDevice(trx);
          for (const [type, ids] of deletes) await deleteKeys(trx, tenantId, deviceId, type, ids);
          for (let i = 0; i < upserts.length; i += UPSERT_CHUNK) {
            const rows = upserts.slice(i, i + UPSERT_CHUNK).map((e) => ({ device_id: deviceId, tenant_id: tenantId, type: e.type, key_id: e.id, value_json: e.value }));
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
        }),
      );
    },

    clear: () =>
      serialised(chainKey, () =>
        k.transaction().execute(async (trx) => {
          await trx.deleteFrom('device_auth_keys').where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).execute();
          await trx.deleteFrom('device_auth_creds').where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).execute();
        }),
      ),
  };
}

async function deleteKeys(trx: Kysely<Database>, tenantId: string, deviceId: string, type: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
    await trx
      .deleteFrom('device_auth_keys')
      .where('tenant_id', '=', tenantId)
      .where('device_id', '=', deviceId)
      .where('type', '=', type)
      .where('key_id', 'in', ids.slice(i, i + DELETE_CHUNK))
      .execute();
  }
}
