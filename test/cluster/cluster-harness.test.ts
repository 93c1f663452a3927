// PostgreSQL only (POSTGRES_ONLY_FILES in vitest.config.ts: the SQLite pass leaves this file out).
// The harness of the cluster tests (test/helpers/cluster.ts, cluster-checks.ts) checked on its
// own, with what WUTS does today on one PostgreSQL: nodes start on one database under their ids,
// a node is paused, resumed, killed, started again and stopped, a device links through one of
// them and the emulator counts its login, a message sent through it reaches the peer once, its
// node restarts and reconnects it, the write log records who wrote what, and an event stream
// opened on one node is read. PostgreSQL only (WUTS_TEST_DATABASE_URL); needs the build.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ok } from '../helpers/http.js';
import { openEventStream, poll, startCluster, writesSince, type Cluster, type LinkedDevice } from '../helpers/cluster.js';
import { expectLoggedInOnce, expectPeerHasEachOnce, messageStanzas, TenantCalls, waitOnline } from '../helpers/cluster-checks.js';

const PHONE = '15551200001';
const PEER = '15551209001';

describe('the cluster test harness', () => {
  let cluster: Cluster;
  let token: string;
  let device: LinkedDevice;

  beforeAll(async () => {
    cluster = await startCluster(['h-1', 'h-2']);
    await cluster.admin.createAccount(PEER, 'peer');
    await cluster.admin.createAccount(PHONE, 'wuts', { startPhone: false });
    ({ token } = await cluster.register('Harness', cluster.node('h-1')));
  }, 90_000);

  afterAll(async () => {
    await cluster?.close();
  }, 60_000);

  it('starts nodes on one database: a token issued through one works on the other', async () => {
    expect(cluster.nodes.map((n) => [n.id, n.role, n.running])).toEqual([
      ['h-1', 'devices', true],
      ['h-2', 'devices', true],
    ]);
    await ok(cluster.node('h-2').call('GET', '/me', token), 200);
  });

  it('pauses a node (it stops answering) and resumes it; kills it and starts it again under its id; stops it with SIGTERM', { timeout: 60_000 }, async () => {
    const h2 = cluster.node('h-2');
    const health = (baseUrl: string) => fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status);
    h2.pause();
    await expect(health(h2.baseUrl)).rejects.toThrow();
    expect(cluster.answering().map((n) => n.id)).toEqual(['h-1']);
    h2.resume();
    expect(await health(h2.baseUrl)).toBe(200);

    await h2.kill();
    expect(h2.running).toBe(false);
    await h2.start();
    expect(await health(h2.baseUrl)).toBe(200);
    await ok(h2.call('GET', '/me', token), 200);
    expect(await h2.stop()).toBe(0);
    await h2.start();
  });

  it('links a device by its QR through one node; the emulator counts one login; a message reaches the peer once', { timeout: 90_000 }, async () => {
    const h1 = cluster.node('h-1');
    device = await cluster.linkDevice(h1, token, PHONE);
    await expectLoggedInOnce(cluster, [PHONE]);
    const calls = new TenantCalls(cluster, token);
    const sent = [await calls.send(h1, device.id, PEER, 'harness: one'), await calls.send(h1, device.id, PEER, 'harness: two')];
    await calls.expectAllSent(sent, 20_000);
    await expectPeerHasEachOnce(cluster, PEER, sent, 'harness:');
    for (const m of sent) expect(await messageStanzas(cluster, m.waId), m.text).toBe(1);

    // h-1 holds the device: a restart under its id reconnects it from the stored session (h-2
    // started before the device existed: without the cluster code a node connects every device
    // at its start, and two nodes would take the device from each other)
    await h1.restart();
    await cluster.waitStatus(h1, token, device.id, 'connected', 30_000);
    await waitOnline(cluster, [PHONE], true);
  });

  it('records each write to the session tables and devices with the writer’s application_name', async () => {
    const since = await cluster.dbNow();
    const writer = new pg.Client({ connectionString: cluster.database.databaseUrl, application_name: 'wuts:probe' });
    await writer.connect();
    try {
      await writer.query('update devices set name = name where id = $1', [device.id]);
    } finally {
      await writer.end();
    }
    const writes = await writesSince(cluster.pool, since, 'wuts:probe');
    expect(writes.map((w) => [w.table, w.op, w.device_id])).toEqual([['devices', 'UPDATE', device.id]]);
    expect(writes[0]!.at.getTime()).toBeGreaterThanOrEqual(since.getTime());
  });

  it('reads the event stream of a node', async () => {
    const h2 = cluster.node('h-2');
    const stream = await openEventStream(h2.baseUrl, token);
    try {
      const email = `harness-${Date.now()}@example.test`;
      await ok(h2.call('POST', '/users', token, { email, password: 'correct-horse-battery', role: 'agent' }), 201);
      const event = await poll('user.created on the stream', 10_000, async () => stream.events.find((e) => e.event === 'user.created'));
      expect(event.data).toMatchObject({ type: 'user.created' });
      expect(stream.ended).toBe(false);
    } finally {
      await stream.close();
    }
  });
});
