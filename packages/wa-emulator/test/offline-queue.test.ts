import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneAuth, type QueuedStanzaRecord, type TestEmulator } from '../src/index.js';
import { createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550007001';
const BOB = '15550007002';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const textOf = (m: { message?: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } | null }) =>
  m.message?.conversation ?? m.message?.extendedTextMessage?.text;

describe("a device's offline queue: a stanza waits until the device's receipt or plain ack", () => {
  let emu: TestEmulator;
  let alice: TestCompanion;
  let bob: TestCompanion;
  let bobDevice: number;
  const companions: TestCompanion[] = [];

  /** Bob's client goes away and comes back from its stored credentials (no QR): a new login. */
  const bobLogsInAgain = async (ignore?: (jid: string) => boolean): Promise<TestCompanion> => {
    const saved = cloneAuth(bob.auth.data);
    await bob.stop();
    await waitFor('Bob offline', async () => (await emu.admin.devices(BOB)).find((d) => d.id === bobDevice)?.online === false);
    const again = new TestCompanion(emu.wsUrl, saved);
    again.ignore = ignore;
    companions.push(again);
    again.connect();
    await waitFor('Bob back online', () => again.isOpen);
    expect(again.qrCount).toBe(0);
    return (bob = again);
  };
  const queued = (id: string | null | undefined): Promise<QueuedStanzaRecord | undefined> =>
    emu.admin.queue(BOB, bobDevice).then((q) => q.find((s) => s.tag === 'message' && s.id === id));
  /** The copies of a message the emulator wrote to Bob's companion, oldest first. */
  const copiesToBob = async (id: string | null | undefined) =>
    (await emu.admin.traffic(500)).filter((t) => t.direction === 'out' && t.tag === 'message' && t.attrs.id === id && t.peer === bob.me).reverse();

  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    alice = new TestCompanion(emu.wsUrl);
    bob = new TestCompanion(emu.wsUrl);
    companions.push(alice, bob);
    await Promise.all([alice.linkTo(emu, ALICE), bob.linkTo(emu, BOB)]);
    bobDevice = Number(bob.me!.split(':')[1]!.split('@')[0]);
    // a first message sets up the Signal session both ways
    const hello = await alice.sock!.sendMessage(jid(BOB), { text: 'hello' });
    await waitFor('Bob gets the first message', () => bob.received.find((m) => m.key.id === hello?.key.id));
  });

  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
  });

  it('a delivery receipt settles a message: shown while it waits, gone once the companion took it', async () => {
    const online = await alice.sock!.sendMessage(jid(BOB), { text: 'while you are here' });
    await waitFor('Bob gets it', () => bob.received.find((m) => m.key.id === online?.key.id));
    await waitFor('settled by the receipt', async () => (await queued(online?.key.id)) === undefined);

    const saved = cloneAuth(bob.auth.data);
    await bob.stop();
    await waitFor('Bob offline', async () => (await emu.admin.devices(BOB)).find((d) => d.id === bobDevice)?.online === false);
    const away = await alice.sock!.sendMessage(jid(BOB), { text: 'while you are away' });
    const waiting = await waitFor('queued for Bob', () => queued(away?.key.id));
    expect(waiting).toMatchObject({ tag: 'message', id: away!.key.id, from: alice.me, type: 'text' });
    expect(waiting.nack).toBeUndefined();
    expect(waiting.age_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(waiting.queued_at)).not.toBeNaN();

    bob = new TestCompanion(emu.wsUrl, saved);
    companions.push(bob);
    bob.connect();
    const got = await waitFor('Bob gets it at login', () => bob.received.find((m) => m.key.id === away?.key.id));
    expect(textOf(got)).toBe('while you are away');
    await waitFor('settled by the receipt', async () => (await queued(away?.key.id)) === undefined);
  });

  it('a NACKed message stays queued, comes again (offline) at the next login only, and its receipt then settles it', async () => {
    // Baileys answers a message from a jid it ignores with <ack class="message" error="500">, unread
    bob = await bobLogsInAgain((from) => from.startsWith(`${ALICE}:`) || from.startsWith(`${ALICE}@`));
    const refused = await alice.sock!.sendMessage(jid(BOB), { text: 'NACKed the first time' });
    const nacked = await waitFor('the NACK, kept in the queue', async () => {
      const entry = await queued(refused?.key.id);
      return entry?.nack === '500' ? entry : undefined;
    });
    expect(nacked).toMatchObject({ tag: 'message', id: refused!.key.id, from: alice.me });
    const nack = (await emu.admin.traffic(500)).find((t) => t.direction === 'in' && t.tag === 'ack' && t.peer === bob.me && t.attrs.id === refused?.key.id);
    expect(nack?.attrs).toMatchObject({ class: 'message', error: '500', to: alice.me });
    expect(bob.received.find((m) => m.key.id === refused?.key.id)).toBeUndefined();
    // not sent again while that connection lives
    await new Promise((r) => setTimeout(r, 300));
    expect(await copiesToBob(refused?.key.id)).toHaveLength(1);
    expect(await queued(refused?.key.id)).toBeDefined();

    bob = await bobLogsInAgain();
    const got = await waitFor('Bob gets it at the next login', () => bob.received.find((m) => m.key.id === refused?.key.id));
    expect(textOf(got)).toBe('NACKed the first time');
    const copies = await copiesToBob(refused?.key.id);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.attrs.offline).toBe('1');
    await waitFor('settled by the receipt', async () => (await queued(refused?.key.id)) === undefined);
    await waitFor('Alice sees it delivered', () => alice.statusOf(refused!.key.id!) >= 3);
  });

  it('a connection dropped before the receipt gets the message at the next login', async () => {
    // Bob's client reads nothing any more: the message reaches its socket, no receipt or ack goes back
    bob.sock!.ws.removeAllListeners('CB:message');
    const lost = await alice.sock!.sendMessage(jid(BOB), { text: 'lost on the way' });
    await waitFor('written to Bob', async () => (await copiesToBob(lost?.key.id)).length === 1);
    await new Promise((r) => setTimeout(r, 200));
    const waiting = await queued(lost?.key.id);
    expect(waiting).toMatchObject({ tag: 'message', id: lost!.key.id });
    expect(waiting?.nack).toBeUndefined();

    bob = await bobLogsInAgain();
    const got = await waitFor('Bob gets it at the next login', () => bob.received.find((m) => m.key.id === lost?.key.id));
    expect(textOf(got)).toBe('lost on the way');
    await waitFor('settled by the receipt', async () => (await queued(lost?.key.id)) === undefined);
    expect(await emu.admin.queue(BOB, bobDevice)).toEqual([]);
  });

  it('answers 404 for a device the account does not have', async () => {
    const answer = await emu.admin.request('GET', `/admin/accounts/${BOB}/devices/99/queue`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ success: false, code: 'device_not_found' });
  });
});
