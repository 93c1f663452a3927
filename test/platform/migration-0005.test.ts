import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { newId } from '../../src/lib/ids.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  await migrateTo(database.db, '0004_messages');
});

afterAll(async () => {
  await database.drop();
});

describe('migration 0005_idempotency_results', () => {
  it('keeps the accepted message of every stored Idempotency-Key and drops the HTTP status', async () => {
    const k = database.db.kysely;
    const tenantId = newId();
    const now = new Date().toISOString();
    await sql`insert into tenants (id, name, name_key, active, created_at, updated_at) values (${tenantId}, 'Acme', 'acme', ${database.db.dialect === 'postgres' ? sql`true` : sql`1`}, ${now}, ${now})`.execute(
      k,
    );
    const message = { id: newId(), type: 'text', status: 'queued', content: { type: 'text', text: 'olá "quoted" \\ text' } };
    const envelope = JSON.stringify({ success: true, message });
    await sql`insert into idempotency_keys (tenant_id, key, request_hash, status_code, response_json, created_at) values (${tenantId}, 'key-1', 'hash-1', 202, ${envelope}, ${now})`.execute(
      k,
    );

    await migrateToLatest(database.db);

    const rows = await sql<Record<string, unknown>>`select * from idempotency_keys`.execute(k);
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0]!;
    expect(Object.keys(row).sort()).toEqual(['created_at', 'key', 'request_hash', 'result_json', 'tenant_id']);
    expect(JSON.parse(row.result_json as string)).toEqual(message);
    expect(row.request_hash).toBe('hash-1');
  });
});
