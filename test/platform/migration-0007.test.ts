import { initAuthCreds } from '@whiskeysockets/baileys';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { newId } from '../../src/lib/ids.js';
import { serialise } from '../../src/whatsapp/baileys/auth-state.js';
import { WHATSAPP_WS_URL } from '../../src/whatsapp/endpoint.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  await migrateTo(database.db, '0005_idempotency_results');
});

afterAll(async () => {
  await database.drop();
});

describe('migration 0007_session_endpoint', () => {
  it("records every linked session as linked on WhatsApp's own endpoint; the creds of a link never completed stay unrecorded", async () => {
    const k = database.db.kysely;
    const tenantId = newId();
    const now = new Date().toISOString();
    await sql`insert into tenants (id, name, name_key, active, created_at, updated_at) values (${tenantId}, 'Acme', 'acme', ${database.db.dialect === 'postgres' ? sql`true` : sql`1`}, ${now}, ${now})`.execute(
      k,
    );
    const [linked, unlinked, none] = [newId(), newId(), newId()];
    for (const id of [linked, unlinked, none]) {
      await k.insertInto('devices').values({ id, tenant_id: tenantId, name: id, status: 'disconnected', created_at: now, updated_at: now }).execute();
    }
    // Creds as the Baileys provider stores them: a linked account names itself in `me`.
    const linkedCreds = serialise({ ...initAuthCreds(), me: { id: '15550001111:3@s.whatsapp.net', lid: '123456789:3@lid', name: 'Acme' }, registered: true });
    const unlinkedCreds = serialise(initAuthCreds());
    await sql`insert into device_auth_creds (device_id, tenant_id, creds_json, updated_at) values (${linked}, ${tenantId}, ${linkedCreds}, ${now}), (${unlinked}, ${tenantId}, ${unlinkedCreds}, ${now})`.execute(
      k,
    );

    await migrateToLatest(database.db);

    const rows = await sql<Record<string, unknown>>`select * from device_auth_creds order by creds_json = ${linkedCreds} desc`.execute(k);
    expect(rows.rows.map((r) => Object.keys(r).sort())).toEqual([
      ['creds_json', 'device_id', 'linked_endpoint', 'tenant_id', 'updated_at'],
      ['creds_json', 'device_id', 'linked_endpoint', 'tenant_id', 'updated_at'],
    ]);
    expect(rows.rows.map((r) => [r.device_id, r.linked_endpoint, r.creds_json])).toEqual([
      [linked, WHATSAPP_WS_URL, linkedCreds],
      [unlinked, null, unlinkedCreds],
    ]);
    expect(WHATSAPP_WS_URL).toBe('wss://web.whatsapp.com/ws/chat');
  });
});
