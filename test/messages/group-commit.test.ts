import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/db/group-commit.js';
import { AppError } from '../../src/lib/errors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, DIALECT, type TestDatabase } from '../helpers/database.js';
import { lockTenant } from '../../src/tenants/repo.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { createDevice, phone, send } from './api-helpers.js';
import { storeQueued, storeQueuedStats } from '../../src/messages/accept-writer.js';
import { newWaId } from '../../src/messages/compose.js';
import type { MessageRow } from '../../src/messages/view.js';
import { newId } from '../../src/lib/ids.js';

/**
 * Concurrent accepts share one transaction (group commit): each is answered after the commit
 * that holds it, and one that fails (a full queue, a constraint) fails alone with its own error.
 */

const QUEUE_LIMIT = 5;
let t: TestApp;
let tenant: TenantFixture;
let agent: UserFixture;

beforeAll(async () => {
  t = await createTestApp({ maxQueuedPerDevice: QUEUE_LIMIT, maxDevicesPerTenant: 1000 });
  tenant = await createTenant(t);
  agent = await createUser(t, tenant, 'agent');
});
afterAll(async () => {
  await t?.close();
});

const text = (extra: Record<string, unknown> = {}) => ({ type: 'text', to: phone(), text: 'shared commit', ...extra });

async function queuedOf(deviceId: string) {
  const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'status']).where('device_id', '=', deviceId).orderBy('id').execute();
  const device = await t.deps.db.kysely.selectFrom('devices').select('queued_count').where('id', '=', deviceId).executeTakeFirstOrThrow();
  return { rows, queuedCount: Number(device.queued_count) };
}

describe('accepts sent together', () => {
  it('share transactions, and each 202 names a message that is stored with its queued status', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const before = storeQueuedStats(t.deps.db);
    const answers = await Promise.all(Array.from({ length: QUEUE_LIMIT }, () => send(t, agent.token, dev, text())));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(QUEUE_LIMIT).fill(202));
    const ids = answers.map((a) => a.json().message.id as string);
    const stored = await queuedOf(dev);
    expect(stored.rows.map((r) => r.id)).toEqual([...ids].sort());
    expect(stored.queuedCount).toBe(QUEUE_LIMIT);
    const statuses = await t.deps.db.kysely.selectFrom('message_statuses').select(['message_id', 'status']).where('message_id', 'in', ids).execute();
    expect(statuses.map((s) => s.status)).toEqual(Array(QUEUE_LIMIT).fill('queued'));
    const after = storeQueuedStats(t.deps.db);
    expect(after.items - before.items).toBe(QUEUE_LIMIT);
    expect(after.batches - before.batches).toBeLessThan(QUEUE_LIMIT);
  });

  it('past the queue limit: exactly the limit is accepted, every other one is 429 queue_full on its own', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const answers = await Promise.all(Array.from({ length: 16 }, () => send(t, agent.token, dev, text())));
    const accepted = answers.filter((a) => a.statusCode === 202);
    const refused = answers.filter((a) => a.statusCode !== 202);
    expect(accepted).toHaveLength(QUEUE_LIMIT);
    for (const r of refused) {
      expect(r.statusCode).toBe(429);
      expect(r.json().code).toBe('queue_full');
      expect(r.headers['retry-after']).toBe('60');
    }
    const stored = await queuedOf(dev);
    expect(stored.rows.map((r) => r.id)).toEqual(accepted.map((a) => a.json().message.id as string).sort());
    expect(stored.queuedCount).toBe(QUEUE_LIMIT);
  });

  it('the same Idempotency-Key sent together creates one message; the same key with another body is 409 alone', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const body = text();
    const key = `together-${Date.now()}`;
    const same = Array.from({ length: 3 }, () => send(t, agent.token, dev, body, { 'idempotency-key': key }));
    const other = send(t, agent.token, dev, { ...body, text: 'another body' }, { 'idempotency-key': key });
    const unrelated = send(t, agent.token, dev, text());
    const [a, b, c, o, u] = await Promise.all([...same, other, unrelated]);
    for (const r of [a!, b!, c!]) expect(r.statusCode, r.body).toBe(202);
    const ids = new Set([a!, b!, c!].map((r) => r.json().message.id));
    expect(ids.size).toBe(1);
    expect([a!, b!, c!].filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
    expect(o!.statusCode).toBe(409);
    expect(o!.json().code).toBe('idempotency_key_reused');
    expect(u!.statusCode).toBe(202);
    const stored = await queuedOf(dev);
    expect(stored.rows.map((r) => r.id).sort()).toEqual([...ids, u!.json().message.id].sort());
    expect(stored.queuedCount).toBe(2);
  });
});

describe('storeQueued on the database', () => {
  const rowOf = (deviceId: string, id = newId()): MessageRow => ({
    id,
    tenant_id: tenant.tenantId,
    device_id: deviceId,
    chat_jid: `${phone()}@s.whatsapp.net`,
    wa_id: newWaId(),
    from_me: true,
    sender_jid: null,
    sender_lid: null,
    chat_lid: null,
    recipient_count: null,
    type: 'text',
    content_json: JSON.stringify({ type: 'text', text: 'stored directly' }),
    quoted_wa_id: null,
    quoted_message_id: null,
    target_wa_id: null,
    target_message_id: null,
    status: 'queued',
    reason: null,
    attempts: 0,
    next_attempt_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    created_by: null,
    wa_timestamp: null,
    edited_at: null,
    deleted_at: null,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  });

  it('a message that breaks a constraint fails alone with its own error; the others of its batch are stored and counted', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const taken = rowOf(dev);
    await storeQueued(t.deps.db, { row: taken, timeline: true, limit: 100 });
    const rows = [rowOf(dev), rowOf(dev), { ...rowOf(dev), id: taken.id }, rowOf(dev)];
    const outcomes = await Promise.allSettled(rows.map((row) => storeQueued(t.deps.db, { row, timeline: true, limit: 100 })));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const error = (outcomes[2] as PromiseRejectedResult).reason as { code?: string };
    expect(['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY']).toContain(error.code);
    const stored = await queuedOf(dev);
    expect(stored.rows.map((r) => r.id)).toEqual([taken.id, rows[0]!.id, rows[1]!.id, rows[3]!.id].sort());
    expect(stored.queuedCount).toBe(4);
    const chats = await t.deps.db.kysely.selectFrom('chats').select('last_message_id').where('device_id', '=', dev).execute();
    expect(chats.map((c) => c.last_message_id).sort()).toEqual([taken.id, rows[0]!.id, rows[1]!.id, rows[3]!.id].sort());
  });

  it('two messages to one chat in a batch: the chat keeps the later one', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const first = rowOf(dev);
    const second = { ...rowOf(dev), chat_jid: first.chat_jid };
    await Promise.all([
      storeQueued(t.deps.db, { row: second, timeline: true, limit: 100 }),
      storeQueued(t.deps.db, { row: first, timeline: true, limit: 100 }),
    ]);
    const chats = await t.deps.db.kysely.selectFrom('chats').select(['jid', 'last_message_id']).where('device_id', '=', dev).execute();
    expect(chats).toEqual([{ jid: first.chat_jid, last_message_id: second.id }]);
  });
});

if (DIALECT === 'postgres') {
  describe('locks (PostgreSQL)', () => {
    it('an accept is written while another transaction holds the tenant lock (the media counter): no key update, no wait', async () => {
      const dev = await createDevice(t, tenant.adminToken);
      let release = () => {};
      const held = new Promise<void>((r) => (release = r));
      let locked = () => {};
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = t.deps.db.kysely.transaction().execute(async (trx) => {
        expect(await lockTenant(trx, 'postgres', tenant.tenantId)).toBe(true);
        locked();
        await held;
      });
      await isLocked;
      const letGo = setTimeout(() => release(), 3_000); // were the accept to wait for the lock, it ends here
      const started = Date.now();
      const res = await send(t, agent.token, dev, text());
      const waited = Date.now() - started;
      clearTimeout(letGo);
      release();
      await holder;
      expect(res.statusCode, res.body).toBe(202);
      // a key share lock (the message's foreign key to its tenant) waited on a 'for update' lock until it ended
      expect(waited).toBeLessThan(2_000);
    });
  });
}

describe('GroupCommit on the database', () => {
  let database: TestDatabase;
  let commits: GroupCommit;

  beforeAll(async () => {
    database = await createTestDatabase();
    await sql`create table group_commit_probe (id text primary key, note text not null)`.execute(database.db.kysely);
    commits = new GroupCommit(database.db.kysely);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const insert = (id: string) => commits.run((trx) => sql`insert into group_commit_probe (id, note) values (${id}, ${'x'})`.execute(trx).then(() => id));
  const stored = async () => (await sql<{ id: string }>`select id from group_commit_probe order by id`.execute(database.db.kysely)).rows.map((r) => r.id);

  it('a work that breaks a constraint fails alone with its own error; the works around it are committed', async () => {
    await insert('taken');
    const before = commits.stats.transactions;
    const outcomes = await Promise.allSettled(['a1', 'a2', 'taken', 'a3', 'a4'].map(insert));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const error = (outcomes[2] as PromiseRejectedResult).reason as { code?: string };
    expect(['23505', 'SQLITE_CONSTRAINT_PRIMARYKEY']).toContain(error.code);
    expect(await stored()).toEqual(['a1', 'a2', 'a3', 'a4', 'taken']);
    // the shared transaction, the others again together, the failing one alone
    expect(commits.stats.transactions - before).toBe(3);
  });

  it('a work that refuses (an AppError before writing) is answered with it; the others share the commit', async () => {
    const before = commits.stats.transactions;
    const refusal = new AppError(429, 'queue_full', 'full');
    const outcomes = await Promise.allSettled([
      insert('b1'),
      commits.run(async () => {
        throw refusal;
      }),
      insert('b2'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(refusal);
    expect((await stored()).filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(commits.stats.transactions - before).toBe(1);
  });
});
