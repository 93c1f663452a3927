import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/db/sqlite-statement-cache.js';

/** Kysely on a real SQLite file through the statement cache the app uses (src/db/connect.ts). */
describe('SQLite statement cache', () => {
  let dir: string;
  let sqlite: SQLite.Database;
  let prepared: string[];
  let db: Kysely<{ items: { id: number; name: string } }>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-stmt-'));
    sqlite = new SQLite(path.join(dir, 'test.sqlite'));
    prepared = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((text: string) => {
      prepared.push(text);
      return prepare(text);
    }) as typeof sqlite.prepare;
    db = new Kysely({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, 3) }) });
    await sql`create table items (id integer primary key, name text not null)`.execute(db);
    for (let i = 1; i <= 5; i++)
      await db
        .insertInto('items')
        .values({ id: i, name: `item ${i}` })
        .execute();
    prepared = [];
  });
  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const byId = (id: number) => db.selectFrom('items').select('name').where('id', '=', id).executeTakeFirst();

  it('prepares a query once and runs it again with other parameters', async () => {
    expect((await byId(1))?.name).toBe('item 1');
    expect((await byId(2))?.name).toBe('item 2');
    expect((await byId(3))?.name).toBe('item 3');
    expect(prepared).toHaveLength(1);
  });

  it('keeps only the most recently used statements, preparing an evicted one again', async () => {
    const named = (n: string) => db.selectFrom('items').select('id').where('name', '=', n).execute();
    const count = () =>
      db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll().as('n'))
        .execute();
    const max = () =>
      db
        .selectFrom('items')
        .select((eb) => eb.fn.max('id').as('m'))
        .execute();
    await byId(1); // 1 prepared
    await named('item 1'); // 2
    await count(); // 3
    await byId(2); // cached; byId is now the most recent
    await max(); // 4: evicts `named`, the least recently used
    expect(prepared).toHaveLength(4);
    await byId(3);
    await count();
    expect(prepared).toHaveLength(4);
    await named('item 2');
    expect(prepared).toHaveLength(5);
  });

  it('a statement still iterating is busy: the same SQL meanwhile gets a statement of its own', () => {
    const database = withStatementCache(sqlite, 3);
    const text = 'select id from items order by id';
    const rows = database.prepare(text).iterate([]);
    expect((rows.next().value as { id: number }).id).toBe(1);
    expect(database.prepare(text).all([])).toHaveLength(5);
    expect([...rows].map((r) => (r as { id: number }).id)).toEqual([2, 3, 4, 5]);
    expect(prepared).toEqual([text, text]);
    database.prepare(text).all([]); // done iterating: the cached one again
    expect(prepared).toHaveLength(2);
  });

  it('writes through a cached statement report their changes, and a failed one leaves it usable', async () => {
    const rename = (id: number, name: string) => db.updateTable('items').set({ name }).where('id', '=', id).executeTakeFirst();
    expect(Number((await rename(1, 'one')).numUpdatedRows)).toBe(1);
    expect(Number((await rename(99, 'none')).numUpdatedRows)).toBe(0);
    const insert = (id: number) => db.insertInto('items').values({ id, name: 'x' }).execute();
    await expect(insert(1)).rejects.toThrow(/UNIQUE/);
    await insert(6);
    expect((await byId(6))?.name).toBe('x');
  });
});
