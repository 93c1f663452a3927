import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmulatorAdminClient, type RunningEmulator } from '../src/index.js';
import { createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550009301';
const BOB = '15550009302';

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

it("a mention of everyone (@all: contextInfo.nonJidMentions) shows on the members' records as mention_all", async () => {
  const { group } = await admin.createGroup(BOB, 'All hands', [ALICE]);
  await waitFor('the group on Alice', () => alice.eventsOf('groups.upsert').some((u) => u[0]?.id === group.id));
  const all = await alice.sock!.sendMessage(group.id, { text: 'everyone: lunch', mentionAll: true });
  const plain = await alice.sock!.sendMessage(group.id, { text: 'no mention' });
  const got = await waitFor('Bob got both', async () => {
    const received = (await admin.groupMessages(BOB, group.id)).received;
    const both = [all!.key.id, plain!.key.id].map((id) => received.find((m) => m.id === id));
    return both.every(Boolean) ? both : undefined;
  });
  expect(got[0]).toMatchObject({ from: ALICE, text: 'everyone: lunch', mention_all: true });
  expect(got[0]!.mentions).toBeUndefined();
  expect(got[1]!.mention_all).toBeUndefined();
});
