// A WhatsApp session is known only to the server it was linked on: another one answers it 401
// ("logged out"), which used to delete it. One stray WUTS_EMULATOR=true (or any change of
// WUTS_WA_WS_URL) made every tenant link its devices again. Here two emulators stand for two
// endpoints (WhatsApp and a sandbox): a device linked on one is left alone by a node on the
// other, its session kept, and comes back when the node points at its endpoint again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import { LINKED_ELSEWHERE_REASON } from '../../src/devices/linked-endpoint.js';
import { whatsappEndpoint } from '../../src/whatsapp/endpoint.js';
import { createTestApp, startNode, type TestApp, type TestNode } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { until } from '../helpers/wait.js';

let emuA: RunningEmulator;
let emuB: RunningEmulator;
let t: TestApp;
/** The running WUTS: replaced when the test restarts it on the same database. */
let node: TestNode;
let tenant: TenantFixture;

beforeAll(async () => {
  [emuA, emuB] = await Promise.all([startTestEmulator(), startTestEmulator()]);
  t = await createTestApp({ waWsUrl: emuA.wsUrl });
  node = t;
  tenant = await createTenant(t);
}, 60_000);

afterAll(async () => {
  if (node !== t) await node.close();
  await t.close();
  await emuA.close();
  await emuB.close();
}, 60_000);

const call: TestNode['call'] = (...args) => node.call(...args);
const k = () => t.deps.db.kysely;

async function stopNode(): Promise<void> {
  await (node === t ? t.closeNode() : node.close());
}

/** Starts WUTS again on the same database with its WhatsApp connections pointed at `wsUrl`. */
async function startOn(wsUrl: string): Promise<void> {
  node = await startNode({ ...t.deps, config: { ...t.deps.config, waWsUrl: wsUrl } });
}

async function device(id: string) {
  const res = await call('GET', `/devices/${id}`, tenant.adminToken);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().device;
}

/** Creates a device on the node's endpoint (emulator A) and links it by QR to `phone`. */
async function linkOnA(phone: string) {
  await new EmulatorAdminClient(emuA).request('POST', '/admin/accounts', { phone });
  const id: string = (await call('POST', '/devices', tenant.adminToken, { name: `phone ${phone}` })).json().device.id;
  const connect = await call('POST', `/devices/${id}/connect`, tenant.adminToken, {});
  expect(connect.statusCode, connect.body).toBe(200);
  const link = await new EmulatorAdminClient(emuA).request('POST', '/admin/link', { qr: connect.json().qr.text, phone });
  expect(link.status, JSON.stringify(link.body)).toBe(200);
  const linked = await until(`device ${id} connected`, async () => {
    const d = await device(id);
    return d.status === 'connected' ? d : null;
  });
  return { id, jid: linked.jid as string };
}

/** The device's session as stored: its creds and how many Signal keys. */
async function sessionRows(id: string) {
  const creds = await k().selectFrom('device_auth_creds').select('creds_json').where('device_id', '=', id).execute();
  const keys = await k().selectFrom('device_auth_keys').select('key_id').where('device_id', '=', id).execute();
  return { creds: creds.map((c) => c.creds_json), keys: keys.length };
}

const eventsOf = async (id: string, type: string) =>
  (await k().selectFrom('events').select('data_json').where('device_id', '=', id).where('type', '=', type).execute()).map((e) => JSON.parse(e.data_json));

describe('a session linked on one WhatsApp endpoint is never ended by another', () => {
  it('a node on another endpoint does not connect the device and keeps its session; pointed back, it reconnects without a new link', async () => {
    const { id, jid } = await linkOnA('15550071001');
    const qrEvents = (await eventsOf(id, 'device.qr')).length;
    await stopNode();
    const rows = await sessionRows(id);
    expect(rows.creds).toHaveLength(1);
    expect(rows.keys).toBeGreaterThan(0);

    // Started again pointing at emulator B, which has never heard of this session (it would answer 401).
    await startOn(emuB.wsUrl);
    const leftAlone = await until('the device left disconnected with the reason', async () => {
      const d = await device(id);
      return d.status === 'disconnected' && d.reason === LINKED_ELSEWHERE_REASON ? d : null;
    });
    expect(leftAlone).toMatchObject({ phone: '15550071001', jid });
    // Nothing more happens to it: no connection attempt ends it as logged_out later.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await device(id)).toMatchObject({ status: 'disconnected', reason: LINKED_ELSEWHERE_REASON });
    expect(await sessionRows(id)).toEqual(rows);
    expect(await eventsOf(id, 'device.logged_out')).toEqual([]);
    // It showed as connected: subscribers learn it is not any more.
    expect(await eventsOf(id, 'device.disconnected')).toEqual([{ device_id: id, status: 'disconnected', reason: LINKED_ELSEWHERE_REASON }]);
    expect(node.workers.devices.isRunning(id)).toBe(false);

    // Connecting it here would link anew over it: refused, the session kept and still wanted.
    const refused = await call('POST', `/devices/${id}/connect`, tenant.adminToken, {});
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ success: false, code: 'device_linked_elsewhere' });
    expect(refused.json().error).toContain('linked on another WhatsApp endpoint');
    expect(await sessionRows(id)).toEqual(rows);
    const row = await k().selectFrom('devices').select(['auto_connect']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(Boolean(row.auto_connect)).toBe(true);

    // Pointed back at emulator A: it reconnects from its stored session, no QR code, same account.
    await stopNode();
    await startOn(emuA.wsUrl);
    const back = await until('reconnected on its own endpoint', async () => {
      const d = await device(id);
      return d.status === 'connected' ? d : null;
    });
    expect(back).toMatchObject({ jid, reason: null });
    expect((await eventsOf(id, 'device.qr')).length).toBe(qrEvents);

    // The session recorded the endpoint it was linked on.
    const creds = await k().selectFrom('device_auth_creds').select('linked_endpoint').where('device_id', '=', id).executeTakeFirstOrThrow();
    expect(creds.linked_endpoint).toBe(whatsappEndpoint(emuA.wsUrl));
  }, 120_000);

  it('a 401 from an endpoint the session was not linked on does not delete it; logging out frees the device to link here', async () => {
    if (node.deps.config.waWsUrl !== emuA.wsUrl) {
      await stopNode();
      await startOn(emuA.wsUrl);
    }
    const phone = '15550071002';
    const { id, jid } = await linkOnA(phone);

    // Meanwhile the session is recorded on another endpoint (as another node would have linked it):
    // the 401 this connection gets now is not its server's word on the session.
    await k().updateTable('device_auth_creds').set({ linked_endpoint: 'wss://elsewhere.example/ws/chat' }).where('device_id', '=', id).execute();
    const companions = (await new EmulatorAdminClient(emuA).request<Record<string, any>>('GET', `/admin/accounts/${phone}/devices`)).body.devices as {
      id: number;
      jid: string;
    }[];
    const companion = companions.find((d) => d.jid === jid);
    expect(companion).toBeDefined();
    expect((await new EmulatorAdminClient(emuA).request('DELETE', `/admin/accounts/${phone}/devices/${companion!.id}`)).status).toBe(200);

    await until('the device left disconnected with the reason', async () => {
      const d = await device(id);
      return d.status === 'disconnected' && d.reason === LINKED_ELSEWHERE_REASON ? d : null;
    });
    const rows = await sessionRows(id);
    expect(rows.creds).toHaveLength(1);
    expect(rows.keys).toBeGreaterThan(0);
    expect(await eventsOf(id, 'device.logged_out')).toEqual([]);
    expect(node.workers.devices.isRunning(id)).toBe(false);
    expect((await call('POST', `/devices/${id}/connect`, tenant.adminToken, {})).statusCode).toBe(409);

    // Logging it out deletes the session here; then it has no linked session and links on this endpoint.
    const out = await call('POST', `/devices/${id}/logout`, tenant.adminToken);
    expect(out.json().device).toMatchObject({ status: 'logged_out' });
    expect(await sessionRows(id)).toEqual({ creds: [], keys: 0 });
    const again = await call('POST', `/devices/${id}/connect`, tenant.adminToken, {});
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().device.status).toBe('qr');
    await call('POST', `/devices/${id}/disconnect`, tenant.adminToken);
  }, 120_000);
});
