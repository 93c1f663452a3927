import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { PreparedMultiInsert, PreparedQuery } from '../../src/db/prepared.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';

/** Hot-path queries compiled once and run with each call's values, on the test's real database. */
describe('prepared queries', () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase();
    // one connection, so that PostgreSQL's named statements of this session can be listed
    db = openDatabase({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, poolSize: 1 });
    await sql`create table prepared_probe (id text primary key, owner text not null, note text, flag boolean not null)`.execute(db.kysely);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const rowsOf = async (owner: string) =>
    (await sql<{ id: string; note: string | null }>`select id, note from prepared_probe where owner = ${owner} order by id`.execute(db.kysely)).rows;

  it('is built once; each call binds its own values, a value used twice included', async () => {
    let builds = 0;
    const insert = new PreparedQuery(['id', 'owner', 'flag'], (k, p) => {
      builds++;
      return k.insertInto('prepared_probe' as never).values({ id: p.id, owner: p.owner, note: p.owner, flag: p.flag } as never);
    });
    for (let i = 0; i < 5; i++) await insert.execute(db.kysely, { id: `a${i}`, owner: 'alice', flag: i % 2 === 0 });
    expect(builds).toBe(1);
    expect(await rowsOf('alice')).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'].map((id) => ({ id, note: 'alice' })));
    const flags = await sql<{ flag: unknown }>`select flag from prepared_probe where owner = 'alice' order by id`.execute(db.kysely);
    expect(flags.rows.map((r) => Boolean(r.flag))).toEqual([true, false, true, false, true]);

    const byOwner = new PreparedQuery(['owner'], (k, p) =>
      k
        .selectFrom('prepared_probe' as never)
        .select('id' as never)
        .where('owner' as never, '=', p.owner),
    );
    expect(await byOwner.rows(db.kysely, { owner: 'alice' })).toHaveLength(5);
    expect(await byOwner.rows(db.kysely, { owner: 'nobody' })).toEqual([]);
    const remove = new PreparedQuery(['owner'], (k, p) => k.deleteFrom('prepared_probe' as never).where('owner' as never, '=', p.owner));
    expect(await remove.affected(db.kysely, { owner: 'alice' })).toBe(5);
  });

  it('runs inside a transaction, on the same compiled text', async () => {
    const insert = new PreparedQuery(['id'], (k, p) => k.insertInto('prepared_probe' as never).values({ id: p.id, owner: 'bob', flag: true } as never));
    await db.kysely.transaction().execute(async (trx) => {
      await insert.execute(trx, { id: 'b1' });
      await insert.execute(trx, { id: 'b2' });
    });
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await insert.execute(trx, { id: 'b3' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await rowsOf('bob')).map((r) => r.id)).toEqual(['b1', 'b2']);
  });

  it('refuses a parameter the query does not bind as a value', async () => {
    const unused = new PreparedQuery(['owner', 'missing'], (k, p) =>
      k
        .selectFrom('prepared_probe' as never)
        .select('id' as never)
        .where('owner' as never, '=', p.owner),
    );
    await expect(unused.rows(db.kysely, { owner: 'x', missing: 1 })).rejects.toThrow(/parameter missing is not a bound value/);
  });

  it('a multi-row insert binds each row in order, compiled once per row count', async () => {
    let builds = 0;
    const insert = new PreparedMultiInsert(['id', 'owner', 'note', 'flag'], (k, rows) => {
      builds++;
      return k.insertInto('prepared_probe' as never).values(rows as never);
    });
    await insert.execute(db.kysely, [
      { id: 'c1', owner: 'carol', note: 'one', flag: true },
      { id: 'c2', owner: 'carol', flag: false },
    ]);
    await insert.execute(db.kysely, [
      { id: 'c3', owner: 'carol', note: 'three', flag: true },
      { id: 'c4', owner: 'carol', note: 'four', flag: false },
    ]);
    await insert.execute(db.kysely, [{ id: 'c5', owner: 'carol', note: 'five', flag: true }]);
    expect(builds).toBe(2);
    expect(await rowsOf('carol')).toEqual([
      { id: 'c1', note: 'one' },
      { id: 'c2', note: null },
      { id: 'c3', note: 'three' },
      { id: 'c4', note: 'four' },
      { id: 'c5', note: 'five' },
    ]);
  });

  it(`is prepared by the database once per connection (${DIALECT})`, async () => {
    const find = new PreparedQuery(['owner'], (k, p) =>
      k
        .selectFrom('prepared_probe' as never)
        .select('id' as never)
        .where('owner' as never, '=', p.owner)
        .where('note' as never, 'is not', null),
    );
    await find.rows(db.kysely, { owner: 'carol' });
    await find.rows(db.kysely, { owner: 'alice' });
    if (DIALECT === 'postgres') {
      const named = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db.kysely);
      const mine = named.rows.filter((r) => r.statement.includes('"note" is not null'));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.name).toMatch(/^wuts_\d+$/);
    } else {
      // SQLite prepares each text once through the statement cache under Kysely (test/db/sqlite-statement-cache.test.ts);
      // here: the same text runs again with other values and answers them
      expect(await find.rows(db.kysely, { owner: 'carol' })).toHaveLength(4);
    }
  });
});
