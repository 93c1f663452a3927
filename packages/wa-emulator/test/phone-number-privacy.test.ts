import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, type RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550009101';
const BOB = '15550009102';
const CAROL = '15550009103';

describe('an account that hides its phone number is known by its LID only, until it shows it', () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    await createAccount(emu, CAROL, 'Carol');
    alice = new TestCompanion(emu.wsUrl);
    await alice.linkTo(emu, ALICE);
  });

  afterAll(async () => {
    await alice?.stop();
    await emu?.close();
  });

  it('the setting answers as set; an unknown account is a 404 and a bad body a 400', async () => {
    expect(await api(emu, 'GET', `/admin/accounts/${BOB}/phone-number-privacy`)).toMatchObject({ status: 200, body: { success: true, hidden: false } });
    expect(await admin.setPhoneNumberHidden(BOB, true)).toBe(true);
    expect(await api(emu, 'GET', `/admin/accounts/${BOB}/phone-number-privacy`)).toMatchObject({ status: 200, body: { hidden: true } });
    expect((await api(emu, 'PUT', '/admin/accounts/15559999999/phone-number-privacy', { hidden: true })).status).toBe(404);
    expect((await api(emu, 'PUT', `/admin/accounts/${BOB}/phone-number-privacy`, { hidden: 'yes' })).status).toBe(400);
    expect((await api(emu, 'PUT', `/admin/accounts/${BOB}/phone-number-privacy`, { hidden: true, extra: 1 })).status).toBe(400);
  });

  it('a one-to-one message to a LID: without sender_pn while hidden, with it once shown', async () => {
    const aliceLid = (await admin.account(ALICE)).lid;
    const bob = await admin.account(BOB);
    await admin.setPhoneNumberHidden(BOB, true);
    const hidden = await admin.send(BOB, { to: aliceLid, text: 'from my LID only' });
    const first = await waitFor('the hidden message', () => alice.received.find((m) => m.key.id === hidden.id));
    expect(first.key.remoteJid).toBe(bob.lid);
    expect(first.key.remoteJidAlt).toBeUndefined();

    await admin.setPhoneNumberHidden(BOB, false);
    const shown = await admin.send(BOB, { to: aliceLid, text: 'now with my number' });
    const second = await waitFor('the shown message', () => alice.received.find((m) => m.key.id === shown.id));
    expect(second.key.remoteJid).toBe(bob.lid);
    expect(second.key.remoteJidAlt).toBe(bob.jid);
  });

  it('in a LID-addressed group: the participant without participant_pn while hidden', async () => {
    const { group } = await admin.createGroup(CAROL, 'Hidden numbers', [ALICE, BOB], { addressing_mode: 'lid' });
    await waitFor('the group on Alice', () => alice.eventsOf('groups.upsert').some((u) => u[0]?.id === group.id));
    const bob = await admin.account(BOB);
    await admin.setPhoneNumberHidden(BOB, true);
    const hidden = await admin.sendGroup(BOB, group.id, { text: 'hidden in the group' });
    const first = await waitFor('the hidden group message', () => alice.received.find((m) => m.key.id === hidden.id));
    expect(first.key).toMatchObject({ remoteJid: group.id, participant: bob.lid });
    expect(first.key.participantAlt).toBeUndefined();

    await admin.setPhoneNumberHidden(BOB, false);
    const shown = await admin.sendGroup(BOB, group.id, { text: 'shown in the group' });
    const second = await waitFor('the shown group message', () => alice.received.find((m) => m.key.id === shown.id));
    expect(second.key).toMatchObject({ remoteJid: group.id, participant: bob.lid, participantAlt: bob.jid });
  });
});
