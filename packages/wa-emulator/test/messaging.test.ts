import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proto } from '@whiskeysockets/baileys';
import type { RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550001001';
const BOB = '15550001002';
const CAROL = '15550001003';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const Status = proto.WebMessageInfo.Status;

interface MessagesBody {
  received: Array<{ id: string; from: string; text: string | null; read: boolean }>;
  sent: Array<{ id: string; to: string; text: string; status: string }>;
}

describe('messaging through the emulator with unmodified Baileys clients', () => {
  let emu: RunningEmulator;
  let alice: TestCompanion;
  let bob: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    await createAccount(emu, CAROL, 'Carol');
    alice = new TestCompanion(emu.wsUrl);
    bob = new TestCompanion(emu.wsUrl);
    await Promise.all([alice.linkTo(emu, ALICE), bob.linkTo(emu, BOB)]);
  });

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await emu?.close();
  });

  it('two companions link by QR and reach open as companion devices of their accounts', async () => {
    expect(alice.openCount).toBeGreaterThanOrEqual(1);
    expect(alice.closeCodes).toContain(515); // the restart after pairing
    expect(alice.me).toBe(`${ALICE}:1@s.whatsapp.net`);
    expect(bob.me).toBe(`${BOB}:1@s.whatsapp.net`);
    expect(alice.auth.state.creds.me?.lid).toMatch(/^\d+:1@lid$/);
    const devices = await api<{ devices: Array<{ id: number; kind: string; online: boolean }> }>(emu, 'GET', `/admin/accounts/${ALICE}/devices`);
    expect(devices.status).toBe(200);
    expect(devices.body.devices.map((d) => [d.id, d.kind, d.online])).toEqual([
      [0, 'phone', true],
      [1, 'companion', true],
    ]);
  });

  it('sends text both ways between two companions', async () => {
    const toBob = await alice.sock!.sendMessage(jid(BOB), { text: 'hi Bob, from Alice' });
    const got = await waitFor('Bob receives', () => bob.received.find((m) => m.key.id === toBob?.key.id));
    expect(got.message?.conversation ?? got.message?.extendedTextMessage?.text).toBe('hi Bob, from Alice');
    expect(got.key.fromMe).toBe(false);

    const toAlice = await bob.sock!.sendMessage(jid(ALICE), { text: 'hello Alice' });
    const back = await waitFor('Alice receives', () => alice.received.find((m) => m.key.id === toAlice?.key.id));
    expect(back.message?.conversation ?? back.message?.extendedTextMessage?.text).toBe('hello Alice');
  });

  it('sends text both ways between a companion and an emulator account (admin API)', async () => {
    const toCarol = await alice.sock!.sendMessage(jid(CAROL), { text: 'hi Carol' });
    const carolMessages = await waitForApi(emu, CAROL, (b) => b.received.find((m) => m.id === toCarol?.key.id));
    expect(carolMessages).toMatchObject({ id: toCarol?.key.id, from: ALICE, text: 'hi Carol', read: false });

    const sent = await api<{ message: { id: string; status: string; to: string } }>(emu, 'POST', `/admin/accounts/${CAROL}/messages`, {
      to: ALICE,
      text: 'hi Alice, Carol here',
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ to: ALICE, status: 'sent' });
    const got = await waitFor('Alice receives from Carol', () => alice.received.find((m) => m.key.id === sent.body.message.id));
    expect(got.message?.conversation ?? got.message?.extendedTextMessage?.text).toBe('hi Alice, Carol here');
  });

  it('delivery and read receipts reach the sender, both directions', async () => {
    // companion -> account: delivered when Carol's phone gets it, read after /read
    const msg = await alice.sock!.sendMessage(jid(CAROL), { text: 'please read me' });
    const id = msg!.key.id!;
    await waitFor('delivered to Alice', () => alice.statusOf(id) >= Status.DELIVERY_ACK);
    expect(alice.statusOf(id)).toBe(Status.DELIVERY_ACK);
    const read = await api<{ read: string[] }>(emu, 'POST', `/admin/accounts/${CAROL}/read`, { ids: [id] });
    expect(read.status).toBe(200);
    expect(read.body.read).toEqual([id]);
    await waitFor('read receipt at Alice', () => alice.statusOf(id) === Status.READ);

    // account -> companion: the companion's receipts update the account's sent list
    const sent = await api<{ message: { id: string } }>(emu, 'POST', `/admin/accounts/${CAROL}/messages`, { to: jid(ALICE), text: 'did you read this?' });
    const sentId = sent.body.message.id;
    await waitForApi(emu, CAROL, (b) => b.sent.find((m) => m.id === sentId && m.status === 'delivered'));
    const received = await waitFor('Alice has it', () => alice.received.find((m) => m.key.id === sentId));
    await alice.sock!.readMessages([received.key]);
    const final = await waitForApi(emu, CAROL, (b) => b.sent.find((m) => m.id === sentId && m.status === 'read'));
    expect(final.status).toBe('read');
  });

  it('an account stores a message id once even when it arrives twice', async () => {
    const first = await bob.sock!.sendMessage(jid(CAROL), { text: 'once' }, { messageId: 'DUPLICATE-ID-1' });
    expect(first?.key.id).toBe('DUPLICATE-ID-1');
    await waitForApi(emu, CAROL, (b) => b.received.find((m) => m.id === 'DUPLICATE-ID-1'));
    await bob.sock!.sendMessage(jid(CAROL), { text: 'once' }, { messageId: 'DUPLICATE-ID-1' });
    const marker = await bob.sock!.sendMessage(jid(CAROL), { text: 'after the duplicate' });
    const body = await waitForApi(emu, CAROL, (b) => (b.received.some((m) => m.id === marker?.key.id) ? b : undefined));
    expect(body.received.filter((m) => m.id === 'DUPLICATE-ID-1')).toHaveLength(1);
  });

  it('forwards typing and presence between companions', async () => {
    await bob.sock!.presenceSubscribe(jid(ALICE));
    await alice.sock!.sendPresenceUpdate('composing', jid(BOB));
    const typing = await waitFor('Bob sees Alice typing', () =>
      bob.presences.find((p) => p.id === jid(ALICE) && p.presences[jid(ALICE)]?.lastKnownPresence === 'composing'),
    );
    expect(typing.id).toBe(jid(ALICE));
    await waitFor('Bob sees Alice available', () =>
      bob.presences.find((p) => p.id === jid(ALICE) && p.presences[jid(ALICE)]?.lastKnownPresence === 'available'),
    );
  });
});

async function waitForApi<T>(emu: RunningEmulator, phone: string, pick: (b: MessagesBody) => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await api<MessagesBody>(emu, 'GET', `/admin/accounts/${phone}/messages?limit=500`);
    const value = pick(res.body);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting on messages of ${phone}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}
