import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOutbox } from '../../src/events/outbox.js';
import { newId } from '../../src/lib/ids.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, createTenant, createUser, type TenantFixture } from '../helpers/factories.js';
import { readSse } from '../helpers/sse.js';

interface SseEvent {
  id: string;
  event: string;
  data: { id: string; type: string; tenant_id: string; data: { email?: string } };
}

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp({ maxStreamsPerTenant: 2 });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
});

/** Opens /events/stream and collects parsed events until closed. */
async function openStream(token: string, query = '', headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${base}/events/stream${query}`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  let markEnded: () => void = () => {};
  const ended = new Promise<void>((r) => (markEnded = r));
  const reading = readSse(res.body, (message) => {
    if (message.data) events.push({ id: message.id ?? '', event: message.event ?? '', data: JSON.parse(message.data) });
  }).then(markEnded);
  return {
    res,
    events,
    ended,
    async waitFor(count: number, timeoutMs = 5000) {
      const start = Date.now();
      while (events.length < count && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 20));
      return events;
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

async function addUser(tenant: TenantFixture, tag: string) {
  const res = await t.call('POST', '/users', tenant.adminToken, { email: `${tag}-${Date.now()}@example.test`, password: PASSWORD, role: 'agent' });
  return res.json().user as { id: string; email: string };
}

describe('GET /events/stream', () => {
  it("streams the tenant's new events, and only its own", async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const stream = await openStream(tenant.adminToken);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
    await new Promise((r) => setTimeout(r, 100));
    await addUser(other, 'other');
    const u = await addUser(tenant, 'mine');
    const events = await stream.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'user.created', data: { type: 'user.created', tenant_id: tenant.tenantId, data: { email: u.email } } });
    expect(events[0]!.id).toBe(events[0]!.data.id);
    await stream.close();
  });

  it('filters by type and resumes after an event id (query or Last-Event-ID)', async () => {
    const tenant = await createTenant(t);
    const first = await addUser(tenant, 'a');
    await t.call('PUT', `/users/${first.id}`, tenant.adminToken, { role: 'viewer' });
    await addUser(tenant, 'b');
    const all = await t.deps.db.kysely.selectFrom('events').select(['id', 'type']).where('tenant_id', '=', tenant.tenantId).orderBy('id').execute();
    // register's user.created, a created, a updated, b created
    expect(all.map((e) => e.type)).toEqual(['user.created', 'user.created', 'user.updated', 'user.created']);

    const resumed = await openStream(tenant.adminToken, `?after=${all[1]!.id}`);
    expect((await resumed.waitFor(2)).map((e) => e.id)).toEqual([all[2]!.id, all[3]!.id]);
    await resumed.close();

    const byHeader = await openStream(tenant.adminToken, '?types=user.updated', { 'last-event-id': all[0]!.id });
    await new Promise((r) => setTimeout(r, 400));
    expect(byHeader.events.map((e) => e.id)).toEqual([all[2]!.id]);
    await byHeader.close();
  });

  it('hides user events and QR codes from agents, and shows them device events', async () => {
    const tenant = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent');
    const stream = await openStream(agent.token);
    await new Promise((r) => setTimeout(r, 100));
    await addUser(tenant, 'hidden');
    const deviceId = newId();
    await withOutbox(t.deps, async (_trx, emit) => {
      await emit({ tenantId: tenant.tenantId, deviceId, type: 'device.qr', data: { device_id: deviceId, qr: 'secret-qr' } });
      await emit({ tenantId: tenant.tenantId, deviceId, type: 'device.connected', data: { device_id: deviceId, phone: '1555', jid: 'x', lid: null } });
    });
    const events = await stream.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(events.map((e) => e.event)).toEqual(['device.connected']);
    await stream.close();
  });

  it('sends an event committed late with an earlier id (a slow transaction)', async () => {
    const tenant = await createTenant(t);
    const stream = await openStream(tenant.adminToken);
    await new Promise((r) => setTimeout(r, 100));
    await addUser(tenant, 'first');
    await stream.waitFor(1);
    // An id made two seconds ago, committed only now.
    const lateId = newId(Date.now() - 2000);
    await t.deps.db.kysely
      .insertInto('events')
      .values({
        id: lateId,
        tenant_id: tenant.tenantId,
        device_id: null,
        type: 'tenant.updated',
        version: 1,
        data_json: JSON.stringify({ id: tenant.tenantId, name: 'late', active: true, updated_at: new Date().toISOString() }),
        created_at: new Date().toISOString(),
      })
      .execute();
    t.deps.bus.notify();
    const events = await stream.waitFor(2);
    expect(events.map((e) => e.id)).toContain(lateId);
    await new Promise((r) => setTimeout(r, 1200));
    expect(stream.events).toHaveLength(2); // sent once, not again at the next reads
    await stream.close();
  });

  it('ends the stream of a user deactivated meanwhile', async () => {
    const tenant = await createTenant(t);
    const supervisor = await createUser(t, tenant, 'supervisor');
    const stream = await openStream(supervisor.token);
    await t.call('PUT', `/users/${supervisor.id}`, tenant.adminToken, { active: false });
    const ended = await Promise.race([stream.ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 9000))]);
    expect(ended).toBe(true);
    await stream.close();
  }, 15_000);

  it('does not keep the server from closing', async () => {
    const other = await createTestApp();
    const url = await other.app.listen({ port: 0, host: '127.0.0.1' });
    const tenant = await createTenant(other);
    const res = await fetch(`${url}/events/stream`, { headers: { authorization: `Bearer ${tenant.adminToken}` } });
    expect(res.status).toBe(200);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await res.body?.cancel().catch(() => {});
  });

  it('refuses bad requests: no token 401, master 403, unknown type or id 400, too many streams 429', async () => {
    const tenant = await createTenant(t);
    expect((await fetch(`${base}/events/stream`)).status).toBe(401);
    expect((await fetch(`${base}/events/stream`, { headers: { authorization: `Bearer ${t.masterToken}` } })).status).toBe(403);
    const bad = await fetch(`${base}/events/stream?types=user.nope`, { headers: { authorization: `Bearer ${tenant.adminToken}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ success: false, code: 'invalid_event_types' });
    expect((await fetch(`${base}/events/stream`, { headers: { authorization: `Bearer ${tenant.adminToken}`, 'last-event-id': 'zzz' } })).status).toBe(400);

    const a = await openStream(tenant.adminToken);
    const b = await openStream(tenant.adminToken);
    const c = await fetch(`${base}/events/stream`, { headers: { authorization: `Bearer ${tenant.adminToken}` } });
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBeTruthy();
    await a.close();
    await b.close();
    // Closed streams free their places.
    await new Promise((r) => setTimeout(r, 100));
    const d = await openStream(tenant.adminToken);
    expect(d.res.status).toBe(200);
    await d.close();
  });
});
