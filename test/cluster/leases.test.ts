// Device leases and fencing (issue 15), on the test database (SQLite, or PostgreSQL with
// WUTS_TEST_DATABASE_URL): who holds a device, under which epoch; a write that carries an old
// epoch is refused; and, on PostgreSQL, a takeover waits for the holder's write in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease, holderOf, holdsLease, releaseLeases, renewLeases } from '../../src/cluster/leases-repo.js';
import { LeaseLostError, type Fence } from '../../src/cluster/fence.js';
import { createDbSessionStore } from '../../src/devices/session-store.js';
import { recordConnecting } from '../../src/devices/state.js';
import { newId } from '../../src/lib/ids.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { DIALECT } from '../helpers/database.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

async function device(): Promise<{ id: string; tenantId: string }> {
  const id = newId();
  const now = new Date().toISOString();
  await t.deps.db.kysely
    .insertInto('devices')
    .values({ id, tenant_id: tenant.tenantId, name: 'leased', status: 'created', created_at: now, updated_at: now })
    .execute();
  return { id, tenantId: tenant.tenantId };
}

const db = () => t.deps.db.kysely;
const dialect = () => t.deps.db.dialect;
const fenceOf = (deviceId: string, nodeId: string, epoch: number): Fence => ({ deviceId, nodeId, epoch, validUntil: Date.now() + 60_000 });
/** Makes the device's lease run out now (as if its holder stopped renewing it long ago). */
const expire = (deviceId: string) => db().updateTable('device_leases').set({ expires_ms: 1 }).where('device_id', '=', deviceId).execute();

describe('device leases', () => {
  it('one node holds a device at a time; a takeover after expiry raises the epoch', async () => {
    const d = await device();
    expect(await acquireLease(db(), dialect(), 'node-a', d, 10_000)).toBe(1);
    expect(await acquireLease(db(), dialect(), 'node-b', d, 10_000)).toBeNull();
    expect(await holderOf(db(), dialect(), d.id)).toEqual({ nodeId: 'node-a', epoch: 1 });
    expect(await renewLeases(db(), dialect(), 'node-a', 10_000)).toContainEqual({ deviceId: d.id, epoch: 1 });

    await expire(d.id);
    expect(await holderOf(db(), dialect(), d.id)).toBeUndefined();
    expect(await acquireLease(db(), dialect(), 'node-b', d, 10_000)).toBe(2);
    // the old holder's renewal no longer finds it
    expect((await renewLeases(db(), dialect(), 'node-a', 10_000)).map((l) => l.deviceId)).not.toContain(d.id);
  });

  it('a released lease is taken at once, under a higher epoch; a node started again under its id takes its own back', async () => {
    const d = await device();
    expect(await acquireLease(db(), dialect(), 'node-a', d, 10_000)).toBe(1);
    await releaseLeases(db(), 'node-a', [d.id]);
    expect(await holderOf(db(), dialect(), d.id)).toBeUndefined();
    expect(await acquireLease(db(), dialect(), 'node-b', d, 10_000)).toBe(2);
    // node-b restarted (same id): its lease, still current, is its own to take back
    expect(await acquireLease(db(), dialect(), 'node-b', d, 10_000)).toBe(3);
  });

  it('a lease of a deleted device is not taken', async () => {
    const d = await device();
    await db().deleteFrom('devices').where('id', '=', d.id).execute();
    expect(await acquireLease(db(), dialect(), 'node-a', d, 10_000)).toBeNull();
  });
});

describe('fencing', () => {
  it('a session write or a state write with an old epoch fails and writes nothing', async () => {
    const d = await device();
    const epoch = (await acquireLease(db(), dialect(), 'node-a', d, 10_000))!;
    const old = fenceOf(d.id, 'node-a', epoch);
    const store = createDbSessionStore(t.deps.db, t.deps.secrets, d.tenantId, d.id, old);
    await store.writeCreds('{"v":1}');
    await expire(d.id);
    const newer = (await acquireLease(db(), dialect(), 'node-b', d, 10_000))!;
    expect(newer).toBe(epoch + 1);

    await expect(store.writeCreds('{"v":2}')).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.writeKeys([{ type: 'pre-key', id: '1', value: '{}' }])).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.clear()).rejects.toBeInstanceOf(LeaseLostError);
    await expect(recordConnecting(t.deps, d.tenantId, d.id, old)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.readCreds()).toBe('{"v":1}');
    const keys = await db().selectFrom('device_auth_keys').select('key_id').where('device_id', '=', d.id).execute();
    expect(keys).toEqual([]);
    const row = await db().selectFrom('devices').select('status').where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('created');

    // the new holder writes
    const current = createDbSessionStore(t.deps.db, t.deps.secrets, d.tenantId, d.id, fenceOf(d.id, 'node-b', newer));
    await current.writeCreds('{"v":3}');
    expect(await current.readCreds()).toBe('{"v":3}');
  });

  it('a fence past its local validity is refused without asking the database (a node paused past its lease)', async () => {
    const d = await device();
    const epoch = (await acquireLease(db(), dialect(), 'node-a', d, 10_000))!;
    const paused: Fence = { deviceId: d.id, nodeId: 'node-a', epoch, validUntil: Date.now() - 1 };
    await expect(createDbSessionStore(t.deps.db, t.deps.secrets, d.tenantId, d.id, paused).writeCreds('{}')).rejects.toBeInstanceOf(LeaseLostError);
  });
});

// PostgreSQL only: SQLite has one writer at a time (and one node), so nothing is in flight beside a write.
if (DIALECT === 'postgres') {
  describe('fencing on PostgreSQL', () => {
    it('a takeover waits until the holder write in flight commits, and the holder next write fails', async () => {
      const d = await device();
      const epoch = (await acquireLease(db(), dialect(), 'node-a', d, 10_000))!;
      await expire(d.id);
      const other = t.database.reopen();
      try {
        let takenAt = 0;
        let committedAt = 0;
        let takeover: Promise<number | null> | undefined;
        await db()
          .transaction()
          .execute(async (trx) => {
            expect(await holdsLease(trx, 'postgres', d.id, 'node-a', epoch)).toBe(true); // as a holder's write does
            takeover = acquireLease(other.kysely, 'postgres', 'node-b', d, 10_000).then((e) => {
              takenAt = Date.now();
              return e;
            });
            await new Promise((r) => setTimeout(r, 300));
            committedAt = Date.now();
          });
        const takenEpoch = await takeover;
        expect(takenEpoch).toBe(epoch + 1);
        expect(takenAt).toBeGreaterThanOrEqual(committedAt);
        const store = createDbSessionStore(t.deps.db, t.deps.secrets, d.tenantId, d.id, fenceOf(d.id, 'node-a', epoch));
        await expect(store.writeCreds('{}')).rejects.toBeInstanceOf(LeaseLostError);
      } finally {
        await other.close();
      }
    });
  });
}
