import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@wuts/wa-emulator';
import {
  accountMessages,
  createAccount,
  disconnectDevice,
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
 * The sender's pace and its window, through the real provider and the emulator (WUTS reaches
 * it through a TCP proxy that can hold back the emulator's bytes): a pace change applies to the
 * next message; with pace 0 up to WUTS_SEND_WINDOW messages are on their way before their acks
 * came, they reach the peer in id order and each is recorded sent once; a refusal inside the
 * window fails that message only.
 */
const A = '15554450001'; // the WUTS device's number
const B = '15554450002'; // a peer A has a chat with
const C = '15554450003'; // a number A never wrote to
const WINDOW = 3;
const LONG_PACE_MS = 60_000;

let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  w = await startWorld({ sendJitterPercent: 0, sendIntervalMs: 0, sendWindow: WINDOW }, { proxy: true });
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  await createAccount(w.emu, C, 'Stranger C');
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

const text = (to: string, body: string) => sendMessage(w, a.token, a.deviceId, { type: 'text', to, text: body });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setPace(ms: number): Promise<number> {
  const res = await w.t.call('PUT', `/devices/${a.deviceId}/send-interval`, a.token, { send_interval_ms: ms });
  expect(res.statusCode, res.body).toBe(200);
  return Date.now();
}

async function sentAt(id: string): Promise<number> {
  const rows = await statusRows(w, a.tenantId, id);
  const sent = rows.filter((r) => r.status === 'sent');
  expect(sent, `one sent status for ${id}: ${JSON.stringify(rows)}`).toHaveLength(1);
  return sent[0]!.at;
}

/** What B's phone received of these messages, in the order it received them. */
async function receivedByB(msgs: any[]): Promise<string[]> {
  const ids = new Set(msgs.map((m) => m.wa_id));
  return (await accountMessages(w, B)).received.filter((r) => ids.has(r.id)).map((r) => r.id);
}

it('a message waiting out a long pause goes at once when the pace becomes 0', async () => {
  await setPace(LONG_PACE_MS);
  const first = await text(B, 'paced #1');
  await waitForStatus(w, a.token, first.id, 'delivered');
  const second = await text(B, 'paced #2');
  // the sender sleeps in steps of at most 5 s; the change must not wait for the step to end
  await pause(1_500);
  expect((await messageOf(w, a.token, second.id)).status).toBe('queued');
  const changedAt = await setPace(0);
  await waitForStatus(w, a.token, second.id, 'delivered');
  expect((await sentAt(second.id)) - changedAt).toBeLessThan(1_000);
});

it('after the pace became long, the next message waits for it (the pace kept in memory was forgotten)', async () => {
  await setPace(0);
  const quick = await text(B, 'unpaced');
  await waitForStatus(w, a.token, quick.id, 'delivered');
  await setPace(LONG_PACE_MS);
  const held = await text(B, 'held by the new pace');
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    expect((await messageOf(w, a.token, held.id)).status).toBe('queued');
    await pause(200);
  }
  expect(await receivedByB([held])).toEqual([]);
  await setPace(0);
  await waitForStatus(w, a.token, held.id, 'delivered');
});

it('with pace 0, a burst reaches B in id order and each message is recorded sent exactly once', async () => {
  await setPace(0);
  const msgs: any[] = [];
  for (let i = 1; i <= 12; i++) msgs.push(await text(B, `burst #${i}`));
  expect(msgs.map((m) => m.id)).toEqual([...msgs.map((m) => m.id)].sort());
  for (const m of msgs) await waitForStatus(w, a.token, m.id, 'delivered', 20_000);
  await pause(300); // a late duplicate would show
  expect(await receivedByB(msgs)).toEqual(msgs.map((m) => m.wa_id));
  const sent = [];
  for (const m of msgs) {
    expect((await messageOf(w, a.token, m.id)).status_history.map((h: any) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    sent.push(await sentAt(m.id));
  }
  // outcomes are recorded in the order the messages were written
  expect([...sent].sort((x, y) => x - y)).toEqual(sent);
});

it('no more than WUTS_SEND_WINDOW messages are on their way: with no ack coming back, exactly that many reach B; after a reconnect all are sent once', async () => {
  await setPace(0);
  // from now on WUTS hears nothing on its connection: it writes what the window allows, then waits for acks
  expect(w.proxy!.freezeDownstream()).toBe(1);
  const msgs: any[] = [];
  for (let i = 1; i <= 7; i++) msgs.push(await text(B, `unacknowledged #${i}`));
  await until('B received the window', async () => (await receivedByB(msgs)).length >= WINDOW);
  await pause(1_000); // were the window not bounded, more would arrive meanwhile
  expect(await receivedByB(msgs)).toEqual(msgs.slice(0, WINDOW).map((m) => m.wa_id));
  for (const m of msgs) expect((await messageOf(w, a.token, m.id)).status, m.id).toBe('queued');

  // a new connection (through the proxy, not frozen): the ones on their way failed with the old one and go again under their ids
  await disconnectDevice(w, a.token, a.deviceId);
  await reconnectDevice(w, a.token, a.deviceId);
  for (const m of msgs) await waitForStatus(w, a.token, m.id, 'delivered', 30_000);
  await pause(500);
  expect(await receivedByB(msgs), 'each once, in id order').toEqual(msgs.map((m) => m.wa_id));
  for (const m of msgs) {
    const history = (await messageOf(w, a.token, m.id)).status_history.map((h: any) => h.status);
    expect(
      history.filter((s: string) => s === 'sent'),
      `${m.id}: ${history.join(',')}`,
    ).toHaveLength(1);
    expect(history).not.toContain('failed');
  }
});

it('a refusal inside the window fails that message only; the ones around it are sent in order', async () => {
  await setPace(0);
  const admin = new EmulatorAdminClient(w.emu);
  // WUTS is not told: it learns of the time-lock from the refusal (463) of the message to C
  await admin.setReachoutTimelock(A, { until: new Date(Date.now() + 3_600_000), notify: false });
  try {
    const msgs = [await text(B, 'around #1'), await text(C, 'to a new chat'), await text(B, 'around #2'), await text(B, 'around #3')];
    const refused = await waitForStatus(w, a.token, msgs[1].id, 'failed', 20_000);
    expect(refused.reason).toMatch(/^account_restricted: /);
    const toB = [msgs[0], msgs[2], msgs[3]];
    for (const m of toB) await waitForStatus(w, a.token, m.id, 'delivered', 20_000);
    expect(await receivedByB(toB)).toEqual(toB.map((m) => m.wa_id));
    expect((await accountMessages(w, C)).received).toEqual([]);
  } finally {
    await admin.liftReachoutTimelock(A);
  }
});
