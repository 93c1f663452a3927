// GET /cluster and the cluster metrics (issue 15) on one node in this process: who may read
// them, and what they show of the node, its devices and the devices nobody holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease } from '../../src/cluster/leases-repo.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
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

describe('GET /cluster', () => {
  it('answers the master token only', async () => {
    expect((await t.call('GET', '/cluster')).json()).toMatchObject({ success: false, code: 'master_token_required' });
    const asUser = await t.call('GET', '/cluster', tenant.adminToken);
    expect(asUser.statusCode).toBe(403);
    expect(asUser.json()).toMatchObject({ success: false, code: 'master_token_required' });
  });

  it('lists this node alive with its devices, and counts the wanted devices nobody holds', async () => {
    const created = await t.call('POST', '/devices', tenant.adminToken, { name: 'wanted' });
    const deviceId: string = created.json().device.id;
    await t.deps.db.kysely.updateTable('devices').set({ auto_connect: true }).where('id', '=', deviceId).execute();
    // another (silent) node holds it: this node does not count it as its own, and it is not unheld
    await acquireLease(t.deps.db.kysely, t.deps.db.dialect, 'elsewhere', { id: deviceId, tenantId: tenant.tenantId }, 60_000);

    const res = await t.call('GET', '/cluster', t.masterToken);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const me = t.workers.keeper.nodeId;
    expect(body.node_id).toBe(me);
    expect(body.nodes).toEqual([
      expect.objectContaining({ id: me, role: 'devices', alive: true, draining: false, capacity: 1000, devices_held: 0, version: expect.any(String) }),
    ]);
    expect(Date.parse(body.nodes[0].heartbeat_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.devices).toEqual({ wanted: 1, held: 1, unheld: 0 });

    await t.deps.db.kysely.updateTable('device_leases').set({ expires_ms: 1 }).where('device_id', '=', deviceId).execute();
    expect((await t.call('GET', '/cluster', t.masterToken)).json().devices).toEqual({ wanted: 1, held: 0, unheld: 1 });
  });
});

describe('/metrics', () => {
  it('shows the live nodes, the devices this node holds, and its lease and command counters', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(200);
    for (const line of [
      'wuts_cluster_nodes_alive 1',
      'wuts_node_devices_held 0',
      'wuts_node_devices_connected 0',
      'wuts_node_leases_lost_total 0',
      'wuts_cluster_commands_timed_out_total 0',
    ]) {
      expect(res.body).toContain(line);
    }
    expect(res.body).toMatch(/^wuts_node_leases_acquired_total \d+$/m);
  });
});
