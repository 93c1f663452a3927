import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, startTestEmulator, type RunningEmulator } from '@wuts/wa-emulator';
import { createTestApp, startNode, type TestApp, type TestNode } from '../helpers/app.js';
import { until } from '../helpers/wait.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/receiver.js';

let emu: RunningEmulator;
let t: TestApp;
let receiver: WebhookReceiver;
let receiverB: WebhookReceiver;
/** The running WUTS: replaced when the test restarts it on the same database. */
let node: TestNode;

beforeAll(async () => {
  emu = await startTestEmulator();
  receiver = await startReceiver();
  receiverB = await startReceiver();
  t = await createTestApp({ waWsUrl: emu.wsUrl, allowPrivateWebhooks: true }, {}, { dispatcher: true });
  node = t;
}, 60_000);

afterAll(async () => {
  if (node !== t) await node.close();
  await t.close();
  await receiver.close();
  await receiverB.close();
  await emu.close();
}, 60_000);

const call: TestNode['call'] = (...args) => node.call(...args);

const emulatorApi = (method: string, path: string, body?: unknown) => new EmulatorAdminClient(emu).request<Record<string, any>>(method, path, body);

async function register(name: string, webhookUrl: string) {
  const res = await call('POST', '/register', t.masterToken, {
    tenant_name: name,
    email: `${name.replace(/\W/g, '')}@example.test`,
    password: 'password-123',
    webhook_url: webhookUrl,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { token: string; tenant: { id: string } };
}

/** Creates a device, connects it, links the QR to `phone` through the emulator, waits for `connected`. */
async function linkNewDevice(token: string, phone: string, deviceId?: string) {
  const id = deviceId ?? (await call('POST', '/devices', token, { name: `phone ${phone}` })).json().device.id;
  const connect = await call('POST', `/devices/${id}/connect`, token, {});
  expect(connect.statusCode, connect.body).toBe(200);
  const body = connect.json();
  expect(body.device.status).toBe('qr');
  expect(body.qr.text).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
  expect(body.qr.png_data_url).toMatch(/^data:image\/png;base64,iVBOR/);
  const link = await emulatorApi('POST', '/admin/link', { qr: body.qr.text, phone });
  expect(link.status, JSON.stringify(link.body)).toBe(200);
  const device = await until(`device ${id} connected`, async () => {
    const d = (await call('GET', `/devices/${id}`, token)).json().device;
    return d.status === 'connected' ? d : null;
  });
  return { id, device, qrText: body.qr.text as string };
}

function verifiedWith(secret: string, r: ReceivedRequest): boolean {
  try {
    new Webhook(secret).verify(r.body, r.headers);
    return true;
  } catch {
    return false;
  }
}

describe('devices end to end, through the real Baileys provider and the emulator', () => {
  it('links by QR, activates the staged webhook once, reconnects after a restart without a QR, and ends logged out when unlinked', async () => {
    const phone = '15550001001';
    await emulatorApi('POST', '/admin/accounts', { phone, name: 'Acme phone' });
    const tenant = await register('Acme Devices', receiver.url);

    // The QR is also served on its own, as JSON and as a PNG.
    const id = (await call('POST', '/devices', tenant.token, { name: 'Main' })).json().device.id;
    const first = await call('POST', `/devices/${id}/connect`, tenant.token, {});
    const qrJson = await call('GET', `/devices/${id}/qr`, tenant.token, undefined, { accept: 'application/json' });
    expect(qrJson.json().qr.text).toBe(first.json().qr.text);
    const qrPng = await call('GET', `/devices/${id}/qr`, tenant.token);
    expect(qrPng.headers['content-type']).toBe('image/png');
    expect(qrPng.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    await call('POST', `/devices/${id}/disconnect`, tenant.token);

    const linked = await linkNewDevice(tenant.token, phone, id);
    expect(linked.device).toMatchObject({
      status: 'connected',
      phone,
      jid: expect.stringMatching(new RegExp(`^${phone}:\\d+@s\\.whatsapp\\.net$`)),
      lid: expect.stringMatching(/@lid$/),
      reason: null,
    });

    // The webhook staged at /register now exists, for every event, and got device.connected, signed.
    const hooks = (await call('GET', '/webhooks', tenant.token)).json().webhooks;
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ url: receiver.url, event_types: null, enabled: true });
    const secret = (await call('GET', `/webhooks/${hooks[0].id}/secret`, tenant.token)).json().secret;
    const connectedEvent = await until('device.connected delivered', async () =>
      receiver.requests.find((r) => r.payload?.type === 'device.connected' && r.payload.device_id === id),
    );
    expect(verifiedWith(secret, connectedEvent)).toBe(true);
    expect(connectedEvent.payload).toMatchObject({ tenant_id: tenant.tenant.id, data: { device_id: id, phone, lid: linked.device.lid } });
    const tenantView = (await call('GET', `/tenants/${tenant.tenant.id}`, t.masterToken)).json().tenant;
    expect(tenantView).toMatchObject({ staged_webhook_url: null, device_count: 1, connected_device_count: 1 });
    const sessionRows = await t.deps.db.kysely.selectFrom('device_auth_creds').select('device_id').where('device_id', '=', id).execute();
    expect(sessionRows).toHaveLength(1);

    // Restart WUTS on the same database: the device reconnects from its stored session, no QR.
    const qrEventsBefore = await t.deps.db.kysely.selectFrom('events').select('id').where('device_id', '=', id).where('type', '=', 'device.qr').execute();
    await t.closeNode();
    node = await startNode(t.deps, {}, { dispatcher: true });
    const connectedEvents = async () =>
      (await t.deps.db.kysely.selectFrom('events').select('id').where('device_id', '=', id).where('type', '=', 'device.connected').execute()).length;
    expect(await connectedEvents()).toBe(1);
    const again = await until('reconnected after restart', async () => {
      const d = (await call('GET', `/devices/${id}`, tenant.token)).json().device;
      return d.status === 'connected' && (await connectedEvents()) === 2 ? d : null;
    });
    expect(again).toMatchObject({ phone, lid: linked.device.lid });
    const qrEventsAfter = await t.deps.db.kysely.selectFrom('events').select('id').where('device_id', '=', id).where('type', '=', 'device.qr').execute();
    expect(qrEventsAfter).toHaveLength(qrEventsBefore.length);

    // Unlinked from the phone (the emulator's admin API): logged_out, the session rows gone.
    const devices = (await emulatorApi('GET', `/admin/accounts/${phone}/devices`)).body.devices as { id: number; jid: string }[];
    const companion = devices.find((d) => d.jid === again.jid);
    expect(companion).toBeDefined();
    expect((await emulatorApi('DELETE', `/admin/accounts/${phone}/devices/${companion!.id}`)).status).toBe(200);
    const out = await until('logged_out', async () => {
      const d = (await call('GET', `/devices/${id}`, tenant.token)).json().device;
      return d.status === 'logged_out' ? d : null;
    });
    expect(out.reason).toBe('unlinked from the phone');
    expect(await t.deps.db.kysely.selectFrom('device_auth_creds').select('device_id').where('device_id', '=', id).execute()).toHaveLength(0);
    expect(await t.deps.db.kysely.selectFrom('device_auth_keys').select('device_id').where('device_id', '=', id).execute()).toHaveLength(0);
    await until('device.logged_out delivered', async () =>
      receiver.requests.find((r) => r.payload?.type === 'device.logged_out' && r.payload.device_id === id),
    );

    // Linking again (a second first-connect) does not create the staged webhook twice.
    await linkNewDevice(tenant.token, phone, id);
    expect((await call('GET', '/webhooks', tenant.token)).json().webhooks).toHaveLength(1);
    const logout = await call('POST', `/devices/${id}/logout`, tenant.token);
    expect(logout.json().device).toMatchObject({ status: 'logged_out', reason: 'logged out by request' });
    expect((await emulatorApi('GET', `/admin/accounts/${phone}/devices`)).body.devices.filter((d: { jid: string }) => d.jid === again.jid)).toEqual([]);
  }, 120_000);

  it('keeps two tenants and their devices apart', async () => {
    const phoneA = '15550002001';
    const phoneB = '15550002002';
    await emulatorApi('POST', '/admin/accounts', { phone: phoneA });
    await emulatorApi('POST', '/admin/accounts', { phone: phoneB });
    const a = await register('Isolation A', `${receiver.url}?tenant=a`);
    const b = await register('Isolation B', receiverB.url);
    const [da, db] = await Promise.all([linkNewDevice(a.token, phoneA), linkNewDevice(b.token, phoneB)]);
    expect(da.device.phone).toBe(phoneA);
    expect(db.device.phone).toBe(phoneB);

    expect((await call('GET', '/devices', a.token)).json().devices.map((d: { id: string }) => d.id)).toEqual([da.id]);
    expect((await call('GET', '/devices', b.token)).json().devices.map((d: { id: string }) => d.id)).toEqual([db.id]);
    expect((await call('GET', `/devices/${db.id}`, a.token)).statusCode).toBe(404);
    expect((await call('POST', `/devices/${db.id}/disconnect`, a.token)).statusCode).toBe(404);

    await until("B's device.connected at B's receiver", async () => receiverB.requests.find((r) => r.payload?.type === 'device.connected'));
    await until("A's device.connected at A's receiver", async () => receiver.requests.find((r) => r.payload?.device_id === da.id));
    expect(receiverB.requests.every((r) => r.payload?.tenant_id === b.tenant.id)).toBe(true);
    expect(receiver.requests.some((r) => r.payload?.tenant_id === b.tenant.id)).toBe(false);

    for (const [token, id] of [
      [a.token, da.id],
      [b.token, db.id],
    ] as const) {
      expect((await call('DELETE', `/devices/${id}`, token)).statusCode).toBe(200);
    }
    expect(await t.deps.db.kysely.selectFrom('device_auth_keys').select('device_id').where('device_id', 'in', [da.id, db.id]).execute()).toHaveLength(0);
  }, 120_000);
});
