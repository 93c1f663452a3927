import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  accountMessages,
  createAccount,
  emulatorApi,
  startWorld,
  tenantWithDevice,
  waitForStatus,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';
import { until } from '../helpers/wait.js';

const WUTS_PHONE = '15551110001';
const PEER = '15551110002';
let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  w = await startWorld();
  await createAccount(w.emu, WUTS_PHONE, 'WUTS number');
  await createAccount(w.emu, PEER, 'Peer');
  a = await tenantWithDevice(w, WUTS_PHONE);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

it('a text goes queued → sent → delivered → read', async () => {
  const res = await w.t.call('POST', `/devices/${a.deviceId}/messages`, a.token, { type: 'text', to: PEER, text: 'hello from WUTS' });
  expect(res.statusCode, res.body).toBe(202);
  const msg = res.json().message;
  expect(msg.status).toBe('queued');
  await waitForStatus(w, a.token, msg.id, 'delivered');
  const got = await until('peer got it', async () => (await accountMessages(w, PEER)).received.find((m) => m.id === msg.wa_id));
  expect(got.text).toBe('hello from WUTS');
  await emulatorApi(w.emu, 'POST', `/admin/accounts/${PEER}/read`, { ids: [msg.wa_id] });
  const read = await waitForStatus(w, a.token, msg.id, 'read');
  expect(read.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read']);
}, 30_000);

it('an inbound text lands in history', async () => {
  const sent = await emulatorApi(w.emu, 'POST', `/admin/accounts/${PEER}/messages`, { to: WUTS_PHONE, text: 'hi WUTS' });
  expect(sent.status).toBe(201);
  const page = await until('history', async () => {
    const r = await w.t.call('GET', `/devices/${a.deviceId}/chats/${PEER}/messages`, a.token);
    const body = r.json();
    return body.messages?.find((m: any) => m.wa_id === sent.body.message.id) ? body : null;
  });
  expect(page.messages[0]).toMatchObject({ direction: 'inbound', type: 'text', content: { text: 'hi WUTS' }, status: 'received' });
}, 30_000);
