import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptPollVote, jidNormalizedUser } from '@whiskeysockets/baileys';
import type { RunningEmulator } from '../src/index.js';
import { buildPollUpdateMessage, pollOptionHash } from '../src/phone/poll-vote.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor, waitForMessages, type ApiMessage } from './helpers.js';

const ALICE = '15550008001';
const BOB = '15550008002';
const CAROL = '15550008003';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const hexes = (list: Uint8Array[]) => list.map((h) => Buffer.from(h).toString('hex')).sort();
const hashesOf = (names: string[]) => hexes(names.map(pollOptionHash));

type Sent = { status: number; body: { message: ApiMessage; code?: string } };
type Action = { status: number; body: { action_id: string; direction: string; message: ApiMessage; code?: string } };

describe('polls between Baileys clients and emulator accounts: votes encrypted both ways', () => {
  let emu: RunningEmulator;
  let alice: TestCompanion;
  const send = (from: string, body: Record<string, unknown>): Promise<Sent> => api(emu, 'POST', `/admin/accounts/${from}/messages`, body) as Promise<Sent>;
  const vote = (phone: string, id: string, options: string[]): Promise<Action> =>
    api(emu, 'POST', `/admin/accounts/${phone}/messages/${id}/vote`, { options }) as Promise<Action>;

  beforeAll(async () => {
    emu = await startTestEmulator();
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

  it("the account votes on a Baileys client's poll; the client decrypts the vote with Baileys' decryptPollVote", async () => {
    const poll = await alice.sock!.sendMessage(jid(BOB), { poll: { name: 'Where?', values: ['Park', 'Beach', 'Museum'], selectableCount: 2 } });
    const pollId = poll!.key.id!;
    const stored = await waitForMessages(emu, BOB, 'the poll', (b) => b.received.find((m) => m.id === pollId));
    expect(stored).toMatchObject({ type: 'poll', from: ALICE, poll: { name: 'Where?', options: ['Park', 'Beach', 'Museum'], selectable_count: 2 }, votes: [] });

    const voted = await vote(BOB, pollId, ['Beach', 'Museum']);
    expect(voted.status).toBe(201);
    expect(voted.body).toMatchObject({ direction: 'received', message: { id: pollId, votes: [{ from: BOB, options: ['Beach', 'Museum'] }] } });

    const update = await waitFor('the vote at Alice', () => alice.received.find((m) => m.key.id === voted.body.action_id));
    const pollUpdate = update.message?.pollUpdateMessage;
    expect(pollUpdate?.pollCreationMessageKey?.id).toBe(pollId);
    expect(Number(pollUpdate?.senderTimestampMs)).toBeGreaterThan(0);
    // the creator decrypts with the poll's secret, its own jid and the voter's jid, as a Baileys user would
    const decrypted = decryptPollVote(pollUpdate!.vote!, {
      pollCreatorJid: jidNormalizedUser(alice.me),
      pollMsgId: pollId,
      pollEncKey: poll!.message!.messageContextInfo!.messageSecret!,
      voterJid: jidNormalizedUser(update.key.remoteJid!),
    });
    expect(jidNormalizedUser(update.key.remoteJid!)).toBe(jid(BOB));
    expect(hexes(decrypted.selectedOptions)).toEqual(hashesOf(['Beach', 'Museum']));

    const changed = await vote(BOB, pollId, ['Park']);
    expect(changed.body.message.votes).toEqual([expect.objectContaining({ from: BOB, options: ['Park'] })]);
    const second = await waitFor('the second vote', () => alice.received.find((m) => m.key.id === changed.body.action_id));
    const ctx = { pollCreatorJid: jid(ALICE), pollMsgId: pollId, pollEncKey: poll!.message!.messageContextInfo!.messageSecret!, voterJid: jid(BOB) };
    expect(hexes(decryptPollVote(second.message!.pollUpdateMessage!.vote!, ctx).selectedOptions)).toEqual(hashesOf(['Park']));

    const tooMany = await vote(BOB, pollId, ['Park', 'Beach', 'Museum']);
    expect({ status: tooMany.status, code: tooMany.body.code }).toEqual({ status: 400, code: 'too_many_options' });
    const unknown = await vote(BOB, pollId, ['Moon']);
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 400, code: 'unknown_poll_option' });
  });

  it("a Baileys client votes on the account's poll (a vote built by the emulator's helper); the account's sent poll shows it", async () => {
    const sent = await send(BOB, { to: ALICE, type: 'poll', poll: { name: 'Pick one', options: ['Red', 'Green', 'Blue'] } });
    expect(sent.body.message).toMatchObject({ type: 'poll', poll: { selectable_count: 1 }, votes: [] });
    const pollId = sent.body.message.id;
    const received = await waitFor('the poll at Alice', () => alice.received.find((m) => m.key.id === pollId));
    expect(received.message?.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Red', 'Green', 'Blue']);
    const secret = received.message!.messageContextInfo!.messageSecret!;

    const castVote = async (options: string[]) => {
      const message = buildPollUpdateMessage({ remoteJid: jid(BOB), fromMe: false, id: pollId }, options, {
        pollCreatorJid: jid(BOB),
        pollMsgId: pollId,
        pollEncKey: secret,
        voterJid: jidNormalizedUser(alice.me),
      });
      await alice.sock!.relayMessage(jid(BOB), message, {});
    };
    await castVote(['Green']);
    const shown = await waitForMessages(emu, BOB, "Alice's vote", (b) => b.sent.find((m) => m.id === pollId && m.votes?.length));
    expect(shown.votes).toEqual([expect.objectContaining({ from: ALICE, options: ['Green'] })]);

    await castVote(['Blue']);
    const latest = await waitForMessages(emu, BOB, "Alice's changed vote", (b) => b.sent.find((m) => m.id === pollId && m.votes?.[0]?.options[0] === 'Blue'));
    expect(latest.votes).toHaveLength(1);

    // a vote bound to the wrong jids does not decrypt and changes nothing
    const forged = buildPollUpdateMessage({ remoteJid: jid(BOB), fromMe: false, id: pollId }, ['Red'], {
      pollCreatorJid: jid(BOB),
      pollMsgId: pollId,
      pollEncKey: secret,
      voterJid: jid(CAROL),
    });
    await alice.sock!.relayMessage(jid(BOB), forged, {});
    const marker = await alice.sock!.sendMessage(jid(BOB), { text: 'after the forged vote' });
    const after = await waitForMessages(emu, BOB, 'the marker', (b) => b.received.some((m) => m.id === marker!.key.id) && b);
    expect(after.sent.find((m) => m.id === pollId)?.votes).toEqual([expect.objectContaining({ from: ALICE, options: ['Blue'] })]);
  });

  it('two accounts: one polls, the other votes and reacts; each side shows the votes', async () => {
    const sent = await send(BOB, { to: CAROL, type: 'poll', poll: { name: 'Team name?', options: ['Owls', 'Foxes'], selectable_count: 0 } });
    const pollId = sent.body.message.id;
    await waitForMessages(emu, CAROL, 'the poll at Carol', (b) => b.received.find((m) => m.id === pollId));
    const voted = await vote(CAROL, pollId, ['Owls', 'Foxes']);
    expect(voted.status).toBe(201);
    const atBob = await waitForMessages(emu, BOB, "Carol's vote", (b) => b.sent.find((m) => m.id === pollId && m.votes?.length));
    expect(atBob.votes).toEqual([expect.objectContaining({ from: CAROL, options: ['Owls', 'Foxes'] })]);

    const own = await vote(BOB, pollId, ['Foxes']);
    expect(own.body).toMatchObject({ direction: 'sent' });
    expect(own.body.message.votes?.map((v) => [v.from, v.options])).toEqual([
      [CAROL, ['Owls', 'Foxes']],
      [BOB, ['Foxes']],
    ]);
    const atCarol = await waitForMessages(emu, CAROL, "Bob's own vote", (b) => b.received.find((m) => m.id === pollId && m.votes?.some((v) => v.from === BOB)));
    expect(atCarol.votes?.map((v) => [v.from, v.options])).toEqual([
      [CAROL, ['Owls', 'Foxes']],
      [BOB, ['Foxes']],
    ]);

    const withdrawn = await vote(CAROL, pollId, []);
    expect(withdrawn.status).toBe(201);
    await waitForMessages(emu, BOB, 'the withdrawn vote', (b) =>
      b.sent.find((m) => m.id === pollId && m.votes?.some((v) => v.from === CAROL && v.options.length === 0)),
    );

    const reacted = await api<{ message: ApiMessage }>(emu, 'POST', `/admin/accounts/${CAROL}/messages/${pollId}/react`, { emoji: '🔥' });
    expect(reacted.status).toBe(201);
    await waitForMessages(emu, BOB, "Carol's reaction", (b) =>
      b.sent.find((m) => m.id === pollId && m.reactions.some((r) => r.from === CAROL && r.emoji === '🔥')),
    );
  });
});
