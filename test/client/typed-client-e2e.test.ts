// @wuts/client against a WUTS listening on a real 127.0.0.1 port, with the real Baileys provider
// and the emulator: the operator registers a tenant, its admin creates a device, the emulator's
// phone links it, and a text sent through the client reaches the peer's phone.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createWutsClient, type WutsClient } from '@wuts/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import { createAccount, emulatorApi, startWorld, waitForReceivedBy, type MessagingWorld } from '../messages/world.js';

const PHONE = '15553330001'; // the number the WUTS device is linked to
const PEER = '15553330002';

let w: MessagingWorld;
let baseUrl: string;

beforeAll(async () => {
  w = await startWorld();
  await w.t.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(w.t.app.server.address() as AddressInfo).port}`;
  await createAccount(w.emu, PHONE, 'Client phone');
  await createAccount(w.emu, PEER, 'Client peer');
}, 60_000);
afterAll(async () => w?.close(), 60_000);

describe('the typed client', () => {
  let admin: WutsClient;
  let deviceId: string;

  it('registers a tenant with the master token', async () => {
    const operator = createWutsClient({ baseUrl, token: w.t.masterToken });
    const { data, error, response } = await operator.POST('/register', {
      body: { tenant_name: 'Typed Client Co', email: 'admin@typed-client.test', password: 'password-123' },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ success: true, user: { email: 'admin@typed-client.test', role: 'admin' }, tenant: { name: 'Typed Client Co' } });
    admin = createWutsClient({ baseUrl: `${baseUrl}/`, token: data!.token });

    const again = await operator.POST('/register', { body: { tenant_name: 'Typed Client Co', email: 'other@typed-client.test', password: 'password-123' } });
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({ success: false, error: 'tenant already exists - please contact your administrator to create an account' });
  });

  it('answers errors as the API gives them: no token, another id', async () => {
    const anonymous = createWutsClient({ baseUrl });
    const me = await anonymous.GET('/me');
    expect(me.response.status).toBe(401);
    expect(me.data).toBeUndefined();
    expect(me.error).toMatchObject({ success: false });

    const missing = await admin.GET('/devices/{id}', { params: { path: { id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ success: false, code: 'not_found' });
  });

  it('creates a device, which the emulated phone links', async () => {
    const created = await admin.POST('/devices', { body: { name: 'Front desk' } });
    expect(created.response.status).toBe(201);
    deviceId = created.data!.device.id;

    const connect = await admin.POST('/devices/{id}/connect', { params: { path: { id: deviceId } }, body: {} });
    expect(connect.response.status).toBe(200);
    const qr = connect.data!.qr?.text;
    expect(qr).toBeTruthy();
    const link = await emulatorApi(w.emu, 'POST', '/admin/link', { qr, phone: PHONE });
    expect(link.status, JSON.stringify(link.body)).toBe(200);

    const device = await until('the device connected', async () => {
      const { data } = await admin.GET('/devices/{id}', { params: { path: { id: deviceId } } });
      return data?.device.status === 'connected' ? data.device : null;
    });
    expect(device).toMatchObject({ id: deviceId, phone: PHONE });
  });

  it('sends a text that reaches the peer, and reads its status', async () => {
    const sent = await admin.POST('/devices/{id}/messages', {
      params: { path: { id: deviceId } },
      body: { type: 'text', to: PEER, text: 'Sent with @wuts/client' },
    });
    expect(sent.response.status).toBe(202);
    const message = sent.data!.message;
    expect(message).toMatchObject({ status: 'queued', direction: 'outbound', chat_jid: `${PEER}@s.whatsapp.net` });

    const received = await waitForReceivedBy(w, PEER, message.wa_id);
    expect(received).toMatchObject({ from: PHONE, type: 'text', text: 'Sent with @wuts/client' });

    const delivered = await until('the message delivered', async () => {
      const { data } = await admin.GET('/messages/{id}', { params: { path: { id: message.id } } });
      return data?.message.status === 'delivered' ? data.message : null;
    });
    expect(delivered.status_history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered']);
  });

  it('is typed by the OpenAPI document: unknown paths and fields do not compile', () => {
    const typeOnly = (client: WutsClient) => {
      // @ts-expect-error no such path
      void client.GET('/no-such-path');
      // @ts-expect-error a text message has no field `body`
      void client.POST('/devices/{id}/messages', { params: { path: { id: 'x' } }, body: { type: 'text', to: PEER, body: 'x' } });
    };
    expect(typeof typeOnly).toBe('function');
  });
});
