import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@wuts/wa-emulator';
import { startNode, type TestNode } from '../helpers/app.js';
import { login, PASSWORD } from '../helpers/factories.js';
import { until } from '../helpers/wait.js';
import {
  createAccount,
  eventsOf,
  jidOf,
  startWorld,
  statusEvents,
  tenantWithDevice,
  waitForEvent,
  waitForReceivedBy,
  waitForStatus,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from '../messages/world.js';

/**
 * The emulator puts the WUTS device's account under WhatsApp's reach-out time-lock: the device
 * shows the restriction, device.restricted is delivered (signed), messages to new chats fail at
 * once with `account_restricted` naming until when, an existing chat still works; lifting it,
 * or its time passing, sends device.unrestricted and new chats work again. It survives a restart.
 */
const A = '15557770001'; // the WUTS device's number
const P = '15557770002'; // a peer the device already has a chat with
const N1 = '15557770003'; // peers it never talked with
const N2 = '15557770004';
const N3 = '15557770005';
const N4 = '15557770006';

let w: MessagingWorld;
let a: TenantWithDevice;
let admin: EmulatorAdminClient;
/** the running WUTS after a restart (the world's node before) */
let node: TestNode | undefined;

const call: TestNode['call'] = (...args) => (node ?? w.t).call(...args);
const wholeSecondsFromNow = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);
const apiTime = (d: Date) => d.toISOString().replace('.000Z', 'Z');

async function device(token = a.token): Promise<any> {
  const res = await call('GET', `/devices/${a.deviceId}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().device;
}

async function send(to: string, text: string): Promise<any> {
  const res = await call('POST', `/devices/${a.deviceId}/messages`, a.token, { type: 'text', to, text });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().message;
}

async function statusOf(id: string, status: string, token = a.token): Promise<any> {
  return until(`message ${id} ${status}`, async () => {
    const res = await call('GET', `/messages/${id}`, token);
    const m = res.json().message;
    return m?.status === status ? m : null;
  });
}

const restrictedReason = (until: Date) =>
  `account_restricted: WhatsApp does not let this account start new chats until ${apiTime(until)} (reach-out time-lock); chats it already has still work`;

beforeAll(async () => {
  w = await startWorld();
  admin = new EmulatorAdminClient(w.emu);
  for (const [phone, name] of [
    [A, 'WUTS A'],
    [P, 'Pat'],
    [N1, 'Nia'],
    [N2, 'Ned'],
    [N3, 'Noa'],
    [N4, 'Nel'],
  ] as const)
    await createAccount(w.emu, phone, name);
  a = await tenantWithDevice(w, A);
  // P writes first: an existing chat on both sides
  const hello = await admin.send(P, { to: A, text: 'hello from Pat' });
  await waitForStored(w, a.token, a.deviceId, jidOf(P), 'the message from Pat', (m) => m.wa_id === hello.id);
}, 90_000);
afterAll(async () => {
  await node?.close();
  await w?.close();
}, 60_000);

describe('a reach-out time-lock', () => {
  const lockedUntil = wholeSecondsFromNow(3600_000);

  it('shows on the device and is delivered as a signed device.restricted webhook', async () => {
    expect((await device()).restriction).toBeNull();
    await admin.setReachoutTimelock(A, { until: lockedUntil, enforcementType: 'BIZ_QUALITY' });
    const event = await waitForEvent(w, 'device.restricted', (d) => d.device_id === a.deviceId);
    const expected = {
      kind: 'reachout_timelock',
      until: apiTime(lockedUntil),
      reason: `WhatsApp's reach-out time-lock: this account may not start new chats until ${apiTime(lockedUntil)} (enforcement: BIZ_QUALITY); chats it already has still work`,
      detail: 'BIZ_QUALITY',
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    };
    expect(event).toMatchObject({ type: 'device.restricted', version: 1, tenant_id: a.tenantId, device_id: a.deviceId });
    expect(event.data).toEqual({ device_id: a.deviceId, restriction: expected });
    expect((await device()).restriction).toEqual(event.data.restriction);
    const list = (await call('GET', '/devices', a.token)).json().devices;
    expect(list.find((d: any) => d.id === a.deviceId).restriction).toEqual(event.data.restriction);
  });

  it('a message to a new chat fails at once with account_restricted naming until when; nothing reaches the peer', async () => {
    const msg = await send(N1, 'hello, stranger');
    const failed = await statusOf(msg.id, 'failed');
    expect(failed.reason).toBe(restrictedReason(lockedUntil));
    await until('the failure as message.status', () => statusEvents(w, msg.id).find((e) => e.status === 'failed'));
    expect(statusEvents(w, msg.id)).toEqual([
      { message_id: msg.id, wa_id: msg.wa_id, chat_jid: jidOf(N1), status: 'failed', previous_status: 'queued', reason: restrictedReason(lockedUntil) },
    ]);
    expect((await admin.messages(N1)).received).toEqual([]);
  });

  it('an existing chat still works: the message is delivered', async () => {
    const msg = await send(P, 'still talking to you, Pat');
    await waitForReceivedBy(w, P, msg.wa_id);
    await waitForStatus(w, a.token, msg.id, 'delivered');
  });

  it('a viewer sees the restriction but changes nothing', async () => {
    const email = `viewer-${Date.now()}@example.test`;
    const created = await call('POST', '/users', a.token, { email, password: PASSWORD, role: 'viewer' });
    expect(created.statusCode, created.body).toBe(201);
    const viewer = await login(w.t, email);
    expect((await device(viewer)).restriction).toMatchObject({ kind: 'reachout_timelock', until: apiTime(lockedUntil) });
    const sendRes = await call('POST', `/devices/${a.deviceId}/messages`, viewer, { type: 'text', to: P, text: 'from a viewer' });
    expect(sendRes.statusCode).toBe(403);
    expect((await call('POST', `/devices/${a.deviceId}/disconnect`, viewer, {})).statusCode).toBe(403);
    expect((await call('POST', `/devices/${a.deviceId}/logout`, viewer, {})).statusCode).toBe(403);
    expect((await call('DELETE', `/devices/${a.deviceId}`, viewer)).statusCode).toBe(403);
    expect((await device()).restriction).toMatchObject({ kind: 'reachout_timelock', until: apiTime(lockedUntil) });
    expect((await device()).status).toBe('connected');
  });

  it('survives a WUTS restart: the device reconnects restricted, without a second device.restricted, and new chats still fail', async () => {
    await w.t.closeNode();
    const kept = await w.t.deps.db.kysely.selectFrom('device_restrictions').selectAll().where('device_id', '=', a.deviceId).execute();
    expect(kept).toHaveLength(1);
    node = await startNode(w.t.deps, {}, { dispatcher: true });
    await until('reconnected after the restart', async () => (await device()).status === 'connected');
    expect((await device()).restriction).toMatchObject({ kind: 'reachout_timelock', until: apiTime(lockedUntil), detail: 'BIZ_QUALITY' });
    const msg = await send(N2, 'hello after the restart');
    expect((await statusOf(msg.id, 'failed')).reason).toBe(restrictedReason(lockedUntil));
    const restricted = await w.t.deps.db.kysely
      .selectFrom('events')
      .select('id')
      .where('device_id', '=', a.deviceId)
      .where('type', '=', 'device.restricted')
      .execute();
    expect(restricted).toHaveLength(1);
  });

  it('lifted by WhatsApp: device.unrestricted (lifted), the restriction gone, new chats work again', async () => {
    await admin.liftReachoutTimelock(A);
    const event = await waitForEvent(w, 'device.unrestricted', (d) => d.device_id === a.deviceId && d.cause === 'lifted');
    expect(event.data).toEqual({
      device_id: a.deviceId,
      cause: 'lifted',
      restriction: expect.objectContaining({ kind: 'reachout_timelock', until: apiTime(lockedUntil) }),
    });
    expect((await device()).restriction).toBeNull();
    const msg = await send(N1, 'hello again, now allowed');
    await waitForReceivedBy(w, N1, msg.wa_id);
    await statusOf(msg.id, 'delivered');
  });
});

describe('a time-lock WUTS learns from a refusal (463)', () => {
  it('the refused message fails with account_restricted; WUTS then asks WhatsApp and shows the restriction', async () => {
    const lockedUntil = wholeSecondsFromNow(1800_000);
    await admin.setReachoutTimelock(A, { until: lockedUntil, notify: false });
    const before = eventsOf(w, 'device.restricted').length;
    const msg = await send(N3, 'hello, a refusal is coming');
    const failed = await statusOf(msg.id, 'failed');
    expect(failed.reason).toMatch(/^account_restricted: /);
    const event = await waitForEvent(w, 'device.restricted', (d) => d.device_id === a.deviceId && d.restriction.until === apiTime(lockedUntil));
    expect(eventsOf(w, 'device.restricted')).toHaveLength(before + 1);
    expect(event.data.restriction).toMatchObject({ kind: 'reachout_timelock', detail: 'DEFAULT' });
    expect((await device()).restriction).toEqual(event.data.restriction);
    expect((await admin.messages(N3)).received).toEqual([]);
  });

  it('ends when its time passes: device.unrestricted (expired), and new chats work again', async () => {
    const shortUntil = wholeSecondsFromNow(3_000);
    await admin.setReachoutTimelock(A, { until: shortUntil });
    await waitForEvent(w, 'device.restricted', (d) => d.device_id === a.deviceId && d.restriction.until === apiTime(shortUntil));
    const event = await waitForEvent(w, 'device.unrestricted', (d) => d.device_id === a.deviceId && d.cause === 'expired', 'the expiry', 20_000);
    expect(event.data.restriction).toMatchObject({ kind: 'reachout_timelock', until: apiTime(shortUntil) });
    expect((await device()).restriction).toBeNull();
    const msg = await send(N4, 'after the time-lock');
    await waitForReceivedBy(w, N4, msg.wa_id);
  });

  it('lifted while WUTS was down: read again at the next login, device.unrestricted (lifted)', async () => {
    const lockedUntil = wholeSecondsFromNow(3600_000);
    await admin.setReachoutTimelock(A, { until: lockedUntil });
    await waitForEvent(w, 'device.restricted', (d) => d.device_id === a.deviceId && d.restriction.until === apiTime(lockedUntil));
    await node!.close();
    // the WUTS device is offline: only the query at its next login can tell it
    await admin.liftReachoutTimelock(A);
    node = await startNode(w.t.deps, {}, { dispatcher: true });
    const event = await waitForEvent(
      w,
      'device.unrestricted',
      (d) => d.device_id === a.deviceId && d.restriction.until === apiTime(lockedUntil),
      'the lift noticed at login',
    );
    expect(event.data.cause).toBe('lifted');
    expect((await device()).restriction).toBeNull();
  });
});
