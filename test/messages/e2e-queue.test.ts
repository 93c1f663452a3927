import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  accountMessages,
  chatHistory,
  companions,
  createAccount,
  disconnectDevice,
  emulatorApi,
  messageOf,
  reconnectDevice,
  sendMessage,
  startWorld,
  statusRows,
  tenantWithDevice,
  waitForStatus,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';
import { until } from '../helpers/wait.js';

/**
 * The outbound queue through the real provider: messages wait while the device is
 * disconnected and leave in order after it reconnects, the device's pace spaces its sends,
 * an idempotent replay sends nothing twice; number checks and presence reach the emulator.
 */
const A = '15554440001'; // the number the WUTS device is linked to
const B = '15554440002'; // the peer
const NOBODY = '15554449999'; // no account: not on WhatsApp
const OPERATOR_PACE_MS = 1_000;

let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  // no jitter: the pace is exactly the interval; the operator's default pace is 1 s, each test sets the device's own
  w = await startWorld({ sendJitterPercent: 0, sendIntervalMs: OPERATOR_PACE_MS });
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  a = await tenantWithDevice(w, A);
  await setPace(0);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

const send = (body: Record<string, unknown>, headers?: Record<string, string>) => sendMessage(w, a.token, a.deviceId, body, headers);

async function setPace(ms: number | null): Promise<void> {
  const res = await w.t.call('PUT', `/devices/${a.deviceId}/send-interval`, a.token, { send_interval_ms: ms });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ success: true, send_interval_ms: ms, effective_ms: ms ?? OPERATOR_PACE_MS });
}

/** Sends `n` texts at once, waits until B's phone has them all; answers them with the ms time each was `sent`. */
async function burst(label: string, n: number): Promise<Array<{ msg: any; sentAt: number }>> {
  const msgs: any[] = [];
  for (let i = 1; i <= n; i++) msgs.push(await send({ type: 'text', to: B, text: `${label} #${i}` }));
  for (const m of msgs) await waitForStatus(w, a.token, m.id, 'delivered', 20_000);
  const out = [];
  for (const msg of msgs) {
    const sent = (await statusRows(w, a.tenantId, msg.id)).find((r) => r.status === 'sent');
    expect(sent, msg.id).toBeDefined();
    out.push({ msg, sentAt: sent!.at });
  }
  return out;
}

/** B's received records of these messages, in the order B's phone received them. */
async function receivedInOrder(msgs: any[]): Promise<any[]> {
  const ids = new Set(msgs.map((m) => m.wa_id));
  return until('B received all of them', async () => {
    const got = (await accountMessages(w, B)).received.filter((r) => ids.has(r.id));
    return got.length === msgs.length ? got : null;
  });
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

it('POST /devices/{id}/check-numbers: A and B are on WhatsApp, an unknown number is not', async () => {
  const res = await w.t.call('POST', `/devices/${a.deviceId}/check-numbers`, a.token, { numbers: [A, `+${B}`, NOBODY] });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().numbers).toEqual([
    { number: A, on_whatsapp: true, jid: `${A}@s.whatsapp.net`, lid: expect.stringMatching(/^\d+@lid$/) },
    { number: B, on_whatsapp: true, jid: `${B}@s.whatsapp.net`, lid: expect.stringMatching(/^\d+@lid$/) },
    { number: NOBODY, on_whatsapp: false, jid: null, lid: null },
  ]);
  const contacts = (await w.t.call('GET', `/devices/${a.deviceId}/contacts`, a.token)).json().contacts;
  expect(contacts.find((c: any) => c.phone === B)).toMatchObject({ on_whatsapp: true, lid: res.json().numbers[1].lid });
  expect(contacts.find((c: any) => c.phone === NOBODY)).toMatchObject({ on_whatsapp: false });
});

it("POST /devices/{id}/presence typing → 200, and B's phone is told A is composing", async () => {
  const res = await w.t.call('POST', `/devices/${a.deviceId}/presence`, a.token, { state: 'typing', chat: B });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ success: true });
  // the emulator's traffic log shows the chatstate it forwarded to B's phone (device 0)
  const toB = new RegExp(`^${B}(:0)?@s\\.whatsapp\\.net$`);
  await until(
    'a composing chatstate sent to B',
    async () => {
      const traffic = (await emulatorApi<{ traffic: any[] }>(w.emu, 'GET', '/admin/traffic?limit=500')).body.traffic;
      return traffic.find(
        (t) => t.direction === 'out' && t.tag === 'chatstate' && toB.test(t.peer) && t.child === 'composing' && String(t.attrs.from).startsWith(A),
      );
    },
    10_000,
  );
  const paused = await w.t.call('POST', `/devices/${a.deviceId}/presence`, a.token, { state: 'paused', chat: B });
  expect(paused.statusCode, paused.body).toBe(200);
});

it('an idempotent replay creates nothing and B receives one message', async () => {
  const key = `order-4711-confirmation-${Date.now()}`;
  const body = { type: 'text', to: B, text: `Your order 4711 is confirmed (${key})` };
  const first = await w.t.call('POST', `/devices/${a.deviceId}/messages`, a.token, body, { 'idempotency-key': key });
  expect(first.statusCode, first.body).toBe(202);
  const again = await w.t.call('POST', `/devices/${a.deviceId}/messages`, a.token, body, { 'idempotency-key': key });
  expect(again.statusCode, again.body).toBe(202);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.json()).toEqual(first.json());
  const other = await w.t.call('POST', `/devices/${a.deviceId}/messages`, a.token, { ...body, text: 'something else' }, { 'idempotency-key': key });
  expect(other.statusCode, other.body).toBe(409);

  const msg = first.json().message;
  await waitForStatus(w, a.token, msg.id, 'delivered');
  // a marker sent after it: once B has the marker, a second copy would have arrived too
  const marker = await send({ type: 'text', to: B, text: `marker after ${key}` });
  await waitForStatus(w, a.token, marker.id, 'delivered');
  await receivedInOrder([marker]);
  const atB = (await accountMessages(w, B)).received.filter((r) => r.text === body.text);
  expect(atB.map((r) => r.id)).toEqual([msg.wa_id]);
  const stored = (await chatHistory(w, a.token, a.deviceId, B)).filter((m) => m.content?.text === body.text);
  expect(stored.map((m) => m.id)).toEqual([msg.id]);
});

it('with send_interval_ms 400 (no jitter), consecutive sends are at least ~400 ms apart', async () => {
  await setPace(400);
  const sent = await burst('paced', 5);
  const spacing = gaps(sent.map((s) => s.sentAt));
  expect(
    spacing.every((g) => g >= 350),
    `gaps between sends: ${spacing.join(', ')} ms`,
  ).toBe(true);
  // status_history shows every step, oldest first
  for (const { msg } of sent) expect((await messageOf(w, a.token, msg.id)).status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
  const got = await receivedInOrder(sent.map((s) => s.msg));
  expect(got.map((r) => r.text)).toEqual(sent.map((s) => s.msg.content.text));
});

it("with send_interval_ms 0, sends are not artificially spaced (neither the last interval nor the operator's 1 s applies)", async () => {
  await setPace(0);
  const sent = await burst('unpaced', 5);
  const spacing = gaps(sent.map((s) => s.sentAt));
  // each gap is only the time a send takes: some pair left closer than the 400 ms pace allows,
  // and none waited for the operator's 1 s (the device's explicit 0 wins over it)
  expect(Math.min(...spacing), `gaps between sends: ${spacing.join(', ')} ms`).toBeLessThan(350);
  expect(Math.max(...spacing), `gaps between sends: ${spacing.join(', ')} ms`).toBeLessThan(OPERATOR_PACE_MS);
  const got = await receivedInOrder(sent.map((s) => s.msg));
  expect(got.map((r) => r.text)).toEqual(sent.map((s) => s.msg.content.text));
});

it("null returns the device to the operator's pace", async () => {
  await setPace(null);
  await setPace(0);
});

it('messages queued while the device is disconnected stay queued, then go out in order after reconnect', async () => {
  await disconnectDevice(w, a.token, a.deviceId);
  const msgs: any[] = [];
  for (let i = 1; i <= 5; i++) msgs.push(await send({ type: 'text', to: B, text: `while offline #${i}` }));

  // nothing can leave while the device is offline: they stay queued, untried, over a window
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    for (const m of msgs) expect((await messageOf(w, a.token, m.id)).status, m.id).toBe('queued');
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const m of msgs) expect(await messageOf(w, a.token, m.id)).toMatchObject({ status: 'queued', attempts: 0 });
  expect((await accountMessages(w, B)).received.some((r) => msgs.some((m) => m.wa_id === r.id))).toBe(false);

  await reconnectDevice(w, a.token, a.deviceId);
  expect((await companions(w, A))[0]).toMatchObject({ online: true });
  for (const m of msgs) await waitForStatus(w, a.token, m.id, 'delivered', 20_000);
  const sentAt = [];
  for (const m of msgs) {
    const detail = await messageOf(w, a.token, m.id);
    expect(detail.status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    sentAt.push((await statusRows(w, a.tenantId, m.id)).find((r) => r.status === 'sent')!.at);
  }
  expect([...sentAt].sort((x, y) => x - y)).toEqual(sentAt); // WUTS sent them in the order they were queued

  const got = await receivedInOrder(msgs);
  expect(got.map((r) => r.id)).toEqual(msgs.map((m) => m.wa_id)); // B received them in that order
  expect(got.map((r) => r.text)).toEqual(msgs.map((m) => m.content.text));
  const stamps = got.map((r) => Date.parse(r.timestamp));
  expect([...stamps].sort((x, y) => x - y)).toEqual(stamps);
});

it('every webhook the receiver got verifies with standardwebhooks', () => {
  expect(w.receiver.requests.length).toBeGreaterThan(10);
  expect(w.receiver.unverified().map((r) => `${r.payload?.type}: ${r.verifyError}`)).toEqual([]);
});
