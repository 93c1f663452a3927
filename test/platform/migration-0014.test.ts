import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { newId } from '../../src/lib/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  await migrateTo(database.db, '0010_media_downloads');
});

afterAll(async () => {
  await database.drop();
});

describe('migration 0014_tenant_media_bytes', () => {
  it("sets each tenant's media usage from its stored files, each blob once; pending and failed files and other tenants' count for nothing", async () => {
    const k = database.db.kysely;
    const now = new Date().toISOString();
    const active = database.db.dialect === 'postgres' ? sql`true` : sql`1`;
    const [acme, empty] = [newId(), newId()];
    for (const [id, name] of [
      [acme, 'acme'],
      [empty, 'empty'],
    ] as const) {
      await sql`insert into tenants (id, name, name_key, active, created_at, updated_at) values (${id}, ${name}, ${name}, ${active}, ${now}, ${now})`.execute(
        k,
      );
    }
    const file = (tenantId: string, state: string, sha256: string | null, size: number | null) =>
      k
        .insertInto('media_files')
        .values({ id: newId(), tenant_id: tenantId, state, sha256, size, mime_type: 'image/png', origin: 'upload', created_at: now, updated_at: now } as never)
        .execute();
    await file(acme, 'stored', 'a'.repeat(64), 1000);
    await file(acme, 'stored', 'a'.repeat(64), 1000); // the same blob twice
    await file(acme, 'stored', 'b'.repeat(64), 250);
    await file(acme, 'pending', null, null);
    await file(acme, 'failed', null, null);

    await migrateToLatest(database.db);

    const usage = await k.selectFrom('tenants').select(['id', 'media_bytes']).execute();
    expect(Object.fromEntries(usage.map((t) => [t.id, Number(t.media_bytes)]))).toEqual({ [acme]: 1250, [empty]: 0 });
  });
});
