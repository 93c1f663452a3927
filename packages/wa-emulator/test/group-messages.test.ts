import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proto } from '@whiskeysockets/baileys';
import { EmulatorAdminClient, type RunningEmulator, type SentRecord } from '../src/index.js';
import { createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550009001';
const BOB = '15550009002';
const CAROL = '15550009003';
const DAVE = '15550009004';
const Status = proto.WebMessageInfo.Status;

describe('group messages: fan-out with the sender key before the skmsg, receipts per participant, both addressing modes', () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;
  let bob: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    await createAccount(emu, CAROL, 'Carol');
    await createAccount(emu, DAVE, 'Dave');
    alice = new TestCompanion(emu.wsUrl);
    bob = new TestCompanion(emu.wsUrl);
    await Promise.all([alice.linkTo(emu, ALICE), bob.linkTo(emu, BOB)]);
  });

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await emu?.close();
  });

  for (const mode of ['lid', 'pn'] as const) {
    describe(`in a ${mode}-addressed group`, () => {
      let groupId: string;
      const server = mode === 'lid' ? '@lid' : '@s.whatsapp.net';

      beforeAll(async () => {
        const { group } = await admin.createGroup(CAROL, `Group ${mode}`, [ALICE, BOB], { addressing_mode: mode });
        groupId = group.id;
        await waitFor('the group on both companions', () => [alice, bob].every((c) => c.eventsOf('groups.upsert').some((u) => u[0]?.id === groupId)));
      });

      it("a companion's text with a mention reaches every participant's phone and the other companion (participant set)", async () => {
        const carol = (await admin.account(CAROL))[mode === 'lid' ? 'lid' : 'jid'];
        const sent = await alice.sock!.sendMessage(groupId, { text: `hi @${carol.split('@')[0]} (${mode})`, mentions: [carol] });
        const id = sent!.key.id!;

        // Carol's phone (and Bob's, and Alice's own phone) decrypted it: the group, who sent it, the mention
        for (const phone of [CAROL, BOB]) {
          const got = await waitFor(`${phone} got it`, async () => (await admin.groupMessages(phone, groupId)).received.find((m) => m.id === id));
          expect(got).toMatchObject({ from: ALICE, group: groupId, type: 'text', text: `hi @${carol.split('@')[0]} (${mode})`, mentions: [CAROL] });
        }
        const onBob = await waitFor("Bob's companion got it", () => bob.received.find((m) => m.key.id === id));
        expect(onBob.key.remoteJid).toBe(groupId);
        // Baileys names the author by its user jid (the stanza's participant is the sender device)
        expect(onBob.key.participant).toBe((await admin.account(ALICE))[mode === 'lid' ? 'lid' : 'jid']);
        expect(onBob.message?.extendedTextMessage?.text ?? onBob.message?.conversation).toBe(`hi @${carol.split('@')[0]} (${mode})`);
        expect(onBob.message?.extendedTextMessage?.contextInfo?.mentionedJid).toEqual([carol]);
        expect(onBob.messageStubType ?? 0).toBe(0); // decrypted: no CIPHERTEXT stub

        // per-participant delivery receipts reach the sending companion (message-receipt.update, participant = the reader)
        const receipts = await waitFor('delivery receipts from both others', () => {
          // Baileys' event buffer folds receipts that come while the message's own upsert is buffered into its userReceipt
          const users = [
            ...alice
              .eventsOf('message-receipt.update')
              .flat()
              .filter((r: any) => r.key.id === id && r.receipt.receiptTimestamp)
              .map((r: any) => r.receipt),
            ...alice.received.filter((m) => m.key.id === id && m.key.fromMe).flatMap((m) => m.userReceipt ?? []),
          ].map((r: any) => r.userJid as string);
          const phones = new Set(users.map((u) => u.split('@')[0]!));
          return phones.size >= 2 ? users : undefined;
        });
        expect(receipts.every((u) => u.endsWith(server))).toBe(true);
      });

      it("an account's group message (admin API, with a mention) reaches the companions; each participant's receipt is kept", async () => {
        const aliceJid = (await admin.account(ALICE))[mode === 'lid' ? 'lid' : 'jid'];
        const carolJid = (await admin.account(CAROL))[mode === 'lid' ? 'lid' : 'jid'];
        const sent = await admin.sendGroup(CAROL, groupId, { text: `hello @${ALICE}`, mentions: [ALICE] });
        expect(sent).toMatchObject({ to_jid: groupId, status: 'sent', mentions: [ALICE] });
        expect(sent.receipts?.map((r) => r.phone).sort()).toEqual([ALICE, BOB].sort());

        for (const companion of [alice, bob]) {
          const got = await waitFor('the message on a companion', () => companion.received.find((m) => m.key.id === sent.id));
          expect(got.key.remoteJid).toBe(groupId);
          expect(got.key.participant).toBe(carolJid);
          expect(got.message?.extendedTextMessage?.text).toBe(`hello @${ALICE}`);
          expect(got.message?.extendedTextMessage?.contextInfo?.mentionedJid).toEqual([aliceJid]);
        }
        const delivered = await waitFor('delivered to every participant', async () => {
          const record = (await admin.groupMessages(CAROL, groupId)).sent.find((m) => m.id === sent.id);
          return record?.status === 'delivered' || record?.status === 'read' ? record : undefined;
        });
        expect(delivered.receipts?.every((r) => r.delivered_at)).toBe(true);

        // Bob's phone reads it: its read receipt shows on Carol's record, for Bob only
        const onBobPhone = await waitFor("Bob's phone has it", async () => (await admin.groupMessages(BOB, groupId)).received.find((m) => m.id === sent.id));
        await admin.markRead(BOB, [onBobPhone.id]);
        const read = await waitFor("Bob's read receipt", async () => {
          const record = (await admin.groupMessages(CAROL, groupId)).sent.find((m) => m.id === sent.id);
          return record?.receipts?.find((r) => r.phone === BOB && r.read_at) ? record : undefined;
        });
        expect(read.receipts?.find((r) => r.phone === ALICE)?.read_at).toBeUndefined();
        expect(read.status).toBe('delivered');
      });

      it('announcement mode: a non-admin is refused (ack error 403), an admin still sends', async () => {
        await admin.updateGroup(CAROL, groupId, { announce: true });
        await waitFor('announce on Alice', () =>
          alice
            .eventsOf('groups.update')
            .flat()
            .some((u) => u.id === groupId && u.announce === true),
        );

        const refused = await alice.sock!.sendMessage(groupId, { text: 'may I?' });
        // the error ack: a messages.update, or folded into the upsert of the message (Baileys' event buffer)
        const failed = await waitFor('the error status', () => {
          const update = alice.updates.find((u) => u.key.id === refused!.key.id && u.update.status === Status.ERROR)?.update;
          const upsert = alice.received.find((m) => m.key.id === refused!.key.id && m.key.fromMe && m.status === Status.ERROR);
          return update ?? upsert;
        });
        expect(failed.messageStubParameters).toEqual(['403']);

        const fromBob: SentRecord = await admin.sendGroup(BOB, groupId, { text: 'me neither?' });
        const bobRecord = await waitFor("Bob's refused record", async () => {
          const record = (await admin.groupMessages(BOB, groupId)).sent.find((m) => m.id === fromBob.id);
          return record?.status === 'failed' ? record : undefined;
        });
        expect(bobRecord.error).toBe('refused by the server: error 403');
        await new Promise((r) => setTimeout(r, 300));
        expect((await admin.groupMessages(CAROL, groupId)).received.map((m) => m.id)).not.toContain(refused!.key.id);

        const fromCarol = await admin.sendGroup(CAROL, groupId, { text: 'admins only' });
        await waitFor('the admin message on Alice', () => alice.received.find((m) => m.key.id === fromCarol.id));
        await admin.updateGroup(CAROL, groupId, { announce: false });
      });
    });
  }

  it('a participant added later gets the sender key with the next message; a removed one gets nothing more', async () => {
    const { group } = await admin.createGroup(CAROL, 'Changing crew', [ALICE, BOB]);
    await waitFor('the group on Alice', () => alice.eventsOf('groups.upsert').some((u) => u[0]?.id === group.id));
    const first = await alice.sock!.sendMessage(group.id, { text: 'before Dave' });
    await waitFor('Bob got the first', () => bob.received.find((m) => m.key.id === first!.key.id));

    await admin.groupParticipants(CAROL, group.id, 'add', [DAVE]);
    await admin.groupParticipants(CAROL, group.id, 'remove', [BOB]);
    await waitFor('Alice saw the remove', () => alice.eventsOf('group-participants.update').some((e) => e.id === group.id && e.action === 'remove'));
    const second = await alice.sock!.sendMessage(group.id, { text: 'after Dave' });
    const onDave = await waitFor('Dave decrypts', async () => (await admin.groupMessages(DAVE, group.id)).received.find((m) => m.id === second!.key.id));
    expect(onDave).toMatchObject({ from: ALICE, text: 'after Dave' });
    expect((await admin.groupMessages(DAVE, group.id)).received.map((m) => m.id)).not.toContain(first!.key.id);
    await waitFor('Carol has it', async () => (await admin.groupMessages(CAROL, group.id)).received.find((m) => m.id === second!.key.id));
    expect(bob.received.find((m) => m.key.id === second!.key.id)).toBeUndefined();
    expect((await admin.groupMessages(BOB, group.id)).received.map((m) => m.id)).not.toContain(second!.key.id);
  });
});
