import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jidNormalizedUser } from '@whiskeysockets/baileys';
import { cloneAuth, startEmulator, type RunningEmulator } from '../src/index.js';
import { buildPollUpdateMessage } from '../src/phone/poll-vote.js';
import { api, createAccount, silent, startTestEmulator, TestCompanion, waitFor, waitForMessages, type ApiMessage } from './helpers.js';

const ALICE = '15550006001';
const BOB = '15550006002';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

describe('retry receipts: the phone resends the full content it stored', () => {
  it('after an emulator restart, a device that lost its session gets the poll again, whole, and can vote on it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wuts-emu-retry-'));
    const statePath = join(dir, 'state.json');
    let emu: RunningEmulator = await startTestEmulator(statePath);
    const companions: TestCompanion[] = [];
    try {
      await createAccount(emu, ALICE, 'Alice');
      await createAccount(emu, BOB, 'Bob');
      const alice = new TestCompanion(emu.wsUrl);
      companions.push(alice);
      await alice.linkTo(emu, ALICE);
      // a conversation both ways, so Bob's phone holds an established session and later sends a plain `msg`
      const hello = await api<{ message: ApiMessage }>(emu, 'POST', `/admin/accounts/${BOB}/messages`, { to: ALICE, text: 'hello' });
      await waitFor('hello at Alice', () => alice.received.find((m) => m.key.id === hello.body.message.id));
      const answer = await alice.sock!.sendMessage(jid(BOB), { text: 'hi Bob' });
      await waitForMessages(emu, BOB, 'the answer', (b) => b.received.find((m) => m.id === answer!.key.id));
      await alice.stop();

      const poll = await api<{ message: ApiMessage }>(emu, 'POST', `/admin/accounts/${BOB}/messages`, {
        to: ALICE,
        type: 'poll',
        poll: { name: 'After the restart?', options: ['Yes', 'No'] },
      });
      expect(poll.status).toBe(201);
      const pollId = poll.body.message.id;
      // Bob's phone restarts: Baileys' in-memory cache of recent messages is gone, only getMessage remains
      const port = Number(new URL(emu.url).port);
      await emu.close();
      emu = await startEmulator({ port, statePath, logger: silent });

      const saved = cloneAuth(alice.auth.data);
      delete saved.keys.session; // Alice cannot decrypt what Bob queued: she asks for a retry
      const again = new TestCompanion(emu.wsUrl, saved);
      companions.push(again);
      again.connect();
      const got = await waitFor('the poll, resent', () => again.received.find((m) => m.key.id === pollId && m.message?.pollCreationMessageV3), 20_000);
      expect(got.message?.pollCreationMessageV3?.name).toBe('After the restart?');
      expect(got.message?.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Yes', 'No']);

      // the resent secret is the stored one: a vote with it decrypts at Bob's phone
      const vote = buildPollUpdateMessage({ remoteJid: jid(BOB), fromMe: false, id: pollId }, ['Yes'], {
        pollCreatorJid: jid(BOB),
        pollMsgId: pollId,
        pollEncKey: got.message!.messageContextInfo!.messageSecret!,
        voterJid: jidNormalizedUser(again.me),
      });
      await again.sock!.relayMessage(jid(BOB), vote, {});
      const shown = await waitForMessages(emu, BOB, 'the vote', (b) => b.sent.find((m) => m.id === pollId && m.votes?.length));
      expect(shown.votes).toEqual([expect.objectContaining({ from: ALICE, options: ['Yes'] })]);
    } finally {
      for (const c of companions) await c.stop();
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
