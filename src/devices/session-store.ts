import type { Transaction } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import type { SessionStore } from '../whatsapp/provider.js';
import type { SecretBox } from '../lib/secret-box.js';
import { nowIso } from '../lib/time.js';
import { credsAad, signalKeyAad } from '../secrets/aad.js';
import * as repo from './session-repo.js';
import { assertHolder, type Fence } from '../cluster/fence.js';

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
 * that is not the tenant's (or no longer exists) fails with DeviceNotFoundError. Every value is
 * sealed with the secret key, bound to its tenant, device (and key type and id): a value that does
 * not open (changed, or copied from another row) fails the read with SecretOpenError. With a
 * `fence` (the node holding the device), a write after another node took the device over fails
 * with LeaseLostError and writes nothing.
 */
export function createDbSessionStore(db: Db, secrets: SecretBox, tenantId: string, deviceId: string, fence?: Fence): SessionStore {
  const k = db.kysely;
  const chainKey = `${tenantId}/${deviceId}`;
  const aadOfCreds = credsAad(tenantId, deviceId);

  async function assertDevice(trx: Transaction<Database>): Promise<void> {
    if (!(await repo.deviceExists(trx, tenantId, deviceId))) throw new DeviceNotFoundError(tenantId, deviceId);
    if (fence) await assertHolder(trx, db.dialect, fence);
  }

  return {
    readCreds: () =>
      serialised(chainKey, async () => {
        const sealed = await repo.readCreds(k, tenantId, deviceId);
        return sealed === null ? null : secrets.open(sealed, aadOfCreds);
      }),

    writeCreds: (json) =>
      serialised(chainKey, () =>
        k.transaction().execute(async (trx) => {
          await assertDevice(trx);
          await repo.upsertCreds(trx, tenantId, deviceId, secrets.seal(json, aadOfCreds), nowIso());
        }),
      ),

    readKeys: (type, ids) =>
      serialised(chainKey, async () => {
        const found = new Map<string, string>();
        const unique = [...new Set(ids)];
        for (let i = 0; i < unique.length; i += repo.IDS_PER_STATEMENT) {
          for (const row of await repo.readKeys(k, tenantId, deviceId, type, unique.slice(i, i + repo.IDS_PER_STATEMENT)))
            found.set(row.key_id, secrets.open(row.value_json, signalKeyAad(tenantId, deviceId, type, row.key_id)));
        }
        return found;
      }),

    writeKeys: (entries) => {
      // The last value for a (type, id) wins; one statement must not touch a row twice.
      const latest = new Map<string, { type: string; id: string; value: string | null }>();
      for (const e of entries) latest.set(`${e.type}\u0000${e.id}`, e);
      const upserts = [...latest.values()].filter((e): e is repo.KeyRow => e.value !== null);
      // Sealed chunk by chunk inside the transaction: a value that cannot be sealed fails the call, writing nothing.
      const sealChunk = (chunk: repo.KeyRow[]) => chunk.map((e) => ({ ...e, value: secrets.seal(e.value, signalKeyAad(tenantId, deviceId, e.type, e.id)) }));
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
          for (const [type, ids] of deletes) {
            for (let i = 0; i < ids.length; i += repo.IDS_PER_STATEMENT)
              await repo.deleteKeys(trx, tenantId, deviceId, type, ids.slice(i, i + repo.IDS_PER_STATEMENT));
          }
          for (let i = 0; i < upserts.length; i += repo.KEYS_PER_UPSERT)
            await repo.upsertKeys(trx, tenantId, deviceId, sealChunk(upserts.slice(i, i + repo.KEYS_PER_UPSERT)));
        }),
      );
    },

    clear: () =>
      serialised(chainKey, () =>
        k.transaction().execute(async (trx) => {
          if (fence) await assertHolder(trx, db.dialect, fence);
          await repo.deleteSession(trx, tenantId, deviceId);
        }),
      ),
  };
}
