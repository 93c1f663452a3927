import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proto } from '@whiskeysockets/baileys';
import { EmulatorAdminClient, type RunningEmulator } from '../src/index.js';
import { api, createAccount, createAccounts, startTestEmulator, TestCompanion, waitFor, waitForMessages } from './helpers.js';

const ALICE = '15550009201';
const BOB = '15550009202';
const CAROL = '15550009203';
const DAVE = '15550009204';

const jidOf = (phone: string) => `${phone}@s.whatsapp.net`;
const inAnHour = () => new Date(Date.now() + 3600_000);

describe('a reach-out time-lock: new chats refused with 463, existing chats delivered, Baileys told', () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    await createAccounts(emu, [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
      [DAVE, 'Dave'],
    ]);
    alice = new TestCompanion(emu.wsUrl);
    await alice.linkTo(emu, ALICE);
  });

  afterAll(async () => {
    await alice?.stop();
    await emu?.close();
  });

  async function sendText(to: string, text: string): Promise<string> {
    const sent = await alice.sock!.sendMessage(jidOf(to), { text });
    return sent!.key.id!;
  }

  /** The error a sent message got: Baileys' event buffer may fold it into the upsert of the message itself. */
  const refusal = (id: string) => {
    const ERROR = proto.WebMessageInfo.Status.ERROR;
    const update = alice.updates.find((u) => u.key.id === id && u.update.status === ERROR);
    if (update) return update.update.messageStubParameters;
    return alice.received.find((m) => m.key.id === id && m.key.fromMe && m.status === ERROR)?.messageStubParameters;
  };

  it('answers the lock as set; bad input is a 400 and an unknown account a 404', async () => {
    expect(await admin.reachoutTimelock(DAVE)).toEqual({ active: false, until: null, enforcement_type: null });
    expect((await api(emu, 'PUT', `/admin/accounts/${DAVE}/reachout-timelock`, { until: new Date(Date.now() - 1000).toISOString() })).status).toBe(400);
    expect((await api(emu, 'PUT', `/admin/accounts/${DAVE}/reachout-timelock`, { until: 'tomorrow' })).status).toBe(400);
    expect((await api(emu, 'PUT', `/admin/accounts/${DAVE}/reachout-timelock`, { until: inAnHour().toISOString(), extra: 1 })).status).toBe(400);
    expect((await api(emu, 'PUT', '/admin/accounts/15559999999/reachout-timelock', { until: inAnHour().toISOString() })).status).toBe(404);
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000);
    expect(await admin.setReachoutTimelock(DAVE, { until, enforcementType: 'BIZ_QUALITY' })).toEqual({
      active: true,
      until: until.toISOString(),
      enforcement_type: 'BIZ_QUALITY',
    });
    expect(await admin.liftReachoutTimelock(DAVE)).toEqual({ active: false, until: null, enforcement_type: null });
  });

  it('while locked: the notification reaches Baileys, a new chat is NACKed 463, an existing chat and the query work', async () => {
    const before = await sendText(BOB, 'hello Bob, before the lock');
    await waitForMessages(emu, BOB, 'the first message', (b) => b.received.find((m) => m.id === before));

    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3600_000);
    await admin.setReachoutTimelock(ALICE, { until, enforcementType: 'BIZ_QUALITY' });
    const told = await waitFor('the time-lock notification', () => alice.timelocks.find((t) => t.isActive));
    expect(told).toEqual({ isActive: true, timeEnforcementEnds: until, enforcementType: 'BIZ_QUALITY' });

    const refused = await sendText(CAROL, 'hello Carol, a new chat');
    const nack = await waitFor('the 463 refusal', () => refusal(refused));
    expect(nack).toEqual(['463', 'Your account has been restricted']);

    const existing = await sendText(BOB, 'hello Bob, still allowed');
    await waitForMessages(emu, BOB, 'the message to an existing chat', (b) => b.received.find((m) => m.id === existing));
    expect(refusal(existing)).toBeUndefined();

    expect(await alice.sock!.fetchAccountReachoutTimelock()).toEqual({ isActive: true, timeEnforcementEnds: until, enforcementType: 'BIZ_QUALITY' });
    const carol = await admin.messages(CAROL);
    expect(carol.received.find((m) => m.id === refused)).toBeUndefined();
  });

  it('a peer who wrote first is an existing chat: its answer is delivered under the lock', async () => {
    const fromDave = await admin.send(DAVE, { to: ALICE, text: 'Dave writes first' });
    await waitFor('Dave’s message on Alice', () => alice.received.find((m) => m.key.id === fromDave.id));
    const reply = await sendText(DAVE, 'answering Dave');
    await waitForMessages(emu, DAVE, 'the answer', (b) => b.received.find((m) => m.id === reply));
    expect(refusal(reply)).toBeUndefined();
  });

  it('lifted: Baileys is told and the new chat goes through', async () => {
    const seen = alice.timelocks.length;
    await admin.liftReachoutTimelock(ALICE);
    const lifted = await waitFor('the lift notification', () => alice.timelocks.slice(seen).find((t) => t.isActive === false));
    expect(lifted.isActive).toBe(false);
    expect(await alice.sock!.fetchAccountReachoutTimelock()).toMatchObject({ isActive: false });
    const now = await sendText(CAROL, 'hello Carol, now allowed');
    await waitForMessages(emu, CAROL, 'the new chat', (b) => b.received.find((m) => m.id === now));
    expect(refusal(now)).toBeUndefined();
  });

  it('set without notification: the device learns it from the query only', async () => {
    const seen = alice.timelocks.length;
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 600_000);
    await admin.setReachoutTimelock(ALICE, { until, notify: false });
    expect(await alice.sock!.fetchAccountReachoutTimelock()).toEqual({ isActive: true, timeEnforcementEnds: until, enforcementType: 'DEFAULT' });
    // the server wrote any notification before the query's answer: only the query's own report came
    expect(alice.timelocks.slice(seen)).toEqual([{ isActive: true, timeEnforcementEnds: until, enforcementType: 'DEFAULT' }]);
    await admin.liftReachoutTimelock(ALICE, { notify: false });
  });

  it('ends by itself at `until`: the account may start new chats again', async () => {
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
    await admin.setReachoutTimelock(ALICE, { until, notify: false });
    await createAccount(emu, '15550009205', 'Erin');
    const refused = await sendText('15550009205', 'too early');
    await waitFor('the 463 refusal', () => refusal(refused));
    await waitFor('the end of the lock', () => Date.now() > until.getTime() + 200, 5_000);
    expect(await admin.reachoutTimelock(ALICE)).toEqual({ active: false, until: null, enforcement_type: null });
    const later = await sendText('15550009205', 'after the lock');
    await waitForMessages(emu, '15550009205', 'the message after the lock', (b) => b.received.find((m) => m.id === later));
  });
});
