import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbSessionStore, DeviceNotFoundError } from '../../src/devices/session-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { insertDevice, insertTenantAndDevice } from './helpers.js';

describe('database session store (creds and Signal keys per device)', () => {
  let tdb: TestDatabase;
  let a: { tenantId: string; deviceId: string };
  let b: { tenantId: string; deviceId: string };
  let a2: string;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    a = await insertTenantAndDevice(tdb.db);
    b = await insertTenantAndDevice(tdb.db);
    a2 = await insertDevice(tdb.db, a.tenantId);
  });

  afterAll(async () => {
    await tdb?.drop();
  });

  const keyRows = (deviceId: string) =>
    tdb.db.kysely.selectFrom('device_auth_keys').selectAll().where('device_id', '=', deviceId).orderBy('type').orderBy('key_id').execute();

  it('reads null before any creds, then the last written creds', async () => {
    const store = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a.deviceId);
    expect(await store.readCreds()).toBeNull();
    await store.writeCreds('{"v":1}');
    await store.writeCreds('{"v":2}');
    expect(await store.readCreds()).toBe('{"v":2}');
    const row = await tdb.db.kysely.selectFrom('device_auth_creds').selectAll().where('device_id', '=', a.deviceId).executeTakeFirstOrThrow();
    expect(row.tenant_id).toBe(a.tenantId);
    expect(Number.isNaN(Date.parse(row.updated_at))).toBe(false);
  });

  it('applies writes in call order even when they are not awaited one by one', async () => {
    const store = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a.deviceId);
    const other = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a.deviceId); // a second instance shares the device's queue
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const s = i % 2 === 0 ? store : other;
      writes.push(s.writeCreds(JSON.stringify({ v: i })));
      writes.push(s.writeKeys([{ type: 'session', id: 'peer', value: JSON.stringify({ v: i }) }]));
      if (i % 5 === 3) writes.push(s.writeKeys([{ type: 'session', id: 'peer', value: null }]));
    }
    // a read queued behind the writes sees all of them
    const creds = store.readCreds();
    const keys = other.readKeys('session', ['peer']);
    await Promise.all(writes);
    expect(await creds).toBe('{"v":39}');
    expect((await keys).get('peer')).toBe('{"v":39}');
  });

  it('upserts keys, deletes those written as null, and returns only what exists', async () => {
    const store = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a2);
    await store.writeKeys([
      { type: 'pre-key', id: '1', value: '"one"' },
      { type: 'pre-key', id: '2', value: '"two"' },
      { type: 'session', id: '1', value: '"s1"' },
    ]);
    await store.writeKeys([
      { type: 'pre-key', id: '1', value: null },
      { type: 'pre-key', id: '2', value: '"two again"' },
      { type: 'pre-key', id: '3', value: '"three"' },
      { type: 'pre-key', id: '3', value: '"three, last wins"' },
      { type: 'pre-key', id: 'never-there', value: null },
    ]);
    const preKeys = await store.readKeys('pre-key', ['1', '2', '3', '4']);
    expect([...preKeys.entries()]).toEqual([
      ['2', '"two again"'],
      ['3', '"three, last wins"'],
    ]);
    expect([...(await store.readKeys('session', ['1'])).entries()]).toEqual([['1', '"s1"']]);
    expect((await store.readKeys('session', [])).size).toBe(0);
    expect((await keyRows(a2)).map((r) => [r.type, r.key_id, r.tenant_id])).toEqual([
      ['pre-key', '2', a.tenantId],
      ['pre-key', '3', a.tenantId],
      ['session', '1', a.tenantId],
    ]);
  });

  it('writes a big batch in one call (chunked under the bound-parameter limits) and deletes it again', async () => {
    const store = createDbSessionStore(tdb.db, tdb.secrets, b.tenantId, b.deviceId);
    const ids = Array.from({ length: 2_500 }, (_, i) => String(i + 1));
    await store.writeKeys(ids.map((id) => ({ type: 'pre-key', id, value: JSON.stringify({ id }) })));
    const read = await store.readKeys('pre-key', ids);
    expect(read.size).toBe(2_500);
    expect(read.get('2500')).toBe('{"id":"2500"}');
    await store.writeKeys(ids.slice(0, 2_000).map((id) => ({ type: 'pre-key', id, value: null })));
    expect((await store.readKeys('pre-key', ids)).size).toBe(500);
  });

  it('a failing batch leaves nothing half-written (one transaction per call)', async () => {
    const store = createDbSessionStore(tdb.db, tdb.secrets, b.tenantId, b.deviceId);
    await store.writeKeys([{ type: 'tx', id: 'kept', value: '"before"' }]);
    // a value of the wrong type fails the third chunk (it cannot be sealed), after the delete and two chunks were written
    const bad = [
      { type: 'tx', id: 'kept', value: null },
      ...Array.from({ length: 300 }, (_, i) => ({ type: 'tx', id: `n${i}`, value: '"x"' })),
      { type: 'tx', id: 'broken', value: undefined as unknown as string },
    ];
    await expect(store.writeKeys(bad)).rejects.toThrow();
    const after = await store.readKeys('tx', ['kept', 'n0', 'n299']);
    expect([...after.entries()]).toEqual([['kept', '"before"']]);
  });

  it('keeps devices and tenants apart: same key ids, other device or tenant, never seen or touched', async () => {
    const storeA = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a.deviceId);
    const storeB = createDbSessionStore(tdb.db, tdb.secrets, b.tenantId, b.deviceId);
    await storeA.writeKeys([{ type: 'identity-key', id: 'x', value: '"A"' }]);
    await storeB.writeKeys([{ type: 'identity-key', id: 'x', value: '"B"' }]);
    expect((await storeA.readKeys('identity-key', ['x'])).get('x')).toBe('"A"');
    expect((await storeB.readKeys('identity-key', ['x'])).get('x')).toBe('"B"');

    // the right device id under the wrong tenant reads nothing and cannot write
    const crossed = createDbSessionStore(tdb.db, tdb.secrets, b.tenantId, a.deviceId);
    expect(await crossed.readCreds()).toBeNull();
    expect((await crossed.readKeys('identity-key', ['x'])).size).toBe(0);
    await expect(crossed.writeCreds('{"stolen":true}')).rejects.toBeInstanceOf(DeviceNotFoundError);
    await expect(crossed.writeKeys([{ type: 'identity-key', id: 'x', value: '"stolen"' }])).rejects.toBeInstanceOf(DeviceNotFoundError);
    await crossed.clear();
    expect((await storeA.readKeys('identity-key', ['x'])).get('x')).toBe('"A"');
    expect(await storeA.readCreds()).not.toBeNull();
  });

  it("clear() removes the device's creds and keys only", async () => {
    const storeA = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a.deviceId);
    const storeA2 = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, a2);
    const storeB = createDbSessionStore(tdb.db, tdb.secrets, b.tenantId, b.deviceId);
    await storeB.writeCreds('{"b":true}');
    const before = { a2: (await keyRows(a2)).length, b: (await keyRows(b.deviceId)).length };
    expect(before.a2).toBeGreaterThan(0);

    await storeA.clear();
    expect(await storeA.readCreds()).toBeNull();
    expect(await keyRows(a.deviceId)).toEqual([]);
    expect((await keyRows(a2)).length).toBe(before.a2);
    expect((await keyRows(b.deviceId)).length).toBe(before.b);
    expect(await storeB.readCreds()).toBe('{"b":true}');
    await storeA2.clear();
    expect(await keyRows(a2)).toEqual([]);
  });

  it('refuses writes for a device that does not exist', async () => {
    const ghost = createDbSessionStore(tdb.db, tdb.secrets, a.tenantId, '00000000-0000-7000-8000-000000000000');
    await expect(ghost.writeCreds('{}')).rejects.toBeInstanceOf(DeviceNotFoundError);
    expect(await ghost.readCreds()).toBeNull();
  });
});
