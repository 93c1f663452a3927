import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, type RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550009201';
const BOB = '15550009202';

describe('a reaction in a group shows on the group message it targets', () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    alice = new TestCompanion(emu.wsUrl);
    await alice.linkTo(emu, ALICE);
  });

  afterAll(async () => {
    await alice?.stop();
    await emu?.close();
  });

  for (const mode of ['lid', 'pn'] as const) {
    it(`in a ${mode}-addressed group: on the author's sent record`, async () => {
      const { group } = await admin.createGroup(BOB, `Reactions ${mode}`, [ALICE], { addressing_mode: mode });
      await waitFor('the group on Alice', () => alice.eventsOf('groups.upsert').some((u) => u[0]?.id === group.id));
      const sent = await admin.sendGroup(BOB, group.id, { text: `react to me (${mode})` });
      const got = await waitFor('Alice got it', () => alice.received.find((m) => m.key.id === sent.id));
      await alice.sock!.sendMessage(group.id, { react: { text: '👍', key: got.key } });
      const record = await waitFor('the reaction on Bob’s record', async () =>
        (await admin.groupMessages(BOB, group.id)).sent.find((m) => m.id === sent.id && m.reactions.length > 0),
      );
      expect(record.reactions).toEqual([expect.objectContaining({ from: ALICE, emoji: '👍' })]);
    });
  }
});

describe("a phone's reaction and vote on a group member's message name the author (key.participant)", () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    alice = new TestCompanion(emu.wsUrl);
    await alice.linkTo(emu, ALICE);
  });

  afterAll(async () => {
    await alice?.stop();
    await emu?.close();
  });

  it('the companion sees its own message as the target of the reaction and of the vote', async () => {
    const { group } = await admin.createGroup(BOB, 'Votes', [ALICE]);
    await waitFor('the group on Alice', () => alice.eventsOf('groups.upsert').some((u) => u[0]?.id === group.id));
    const text = await alice.sock!.sendMessage(group.id, { text: 'react to mine' });
    await waitFor('Bob got the text', async () => (await admin.groupMessages(BOB, group.id)).received.find((m) => m.id === text!.key.id));
    await api(emu, 'POST', `/admin/accounts/${BOB}/messages/${text!.key.id}/react`, { emoji: '❤️' });
    const reaction = await waitFor('the reaction on Alice', () => alice.received.find((m) => m.message?.reactionMessage?.key?.id === text!.key.id));
    expect(reaction.message!.reactionMessage!.key).toMatchObject({ remoteJid: group.id, fromMe: true, id: text!.key.id });

    const poll = await alice.sock!.sendMessage(group.id, { poll: { name: 'Lunch?', values: ['Pizza', 'Soup'], selectableCount: 1 } });
    await waitFor('Bob got the poll', async () => (await admin.groupMessages(BOB, group.id)).received.find((m) => m.id === poll!.key.id));
    const vote = await api(emu, 'POST', `/admin/accounts/${BOB}/messages/${poll!.key.id}/vote`, { options: ['Soup'] });
    expect(vote.status).toBe(201);
    const update = await waitFor('the vote on Alice', () =>
      alice.received.find((m) => m.message?.pollUpdateMessage?.pollCreationMessageKey?.id === poll!.key.id),
    );
    expect(update.message!.pollUpdateMessage!.pollCreationMessageKey).toMatchObject({ remoteJid: group.id, fromMe: true, id: poll!.key.id });
  });
});
