import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptPollVote } from '@whiskeysockets/baileys';
import { buildPollUpdateMessage, decryptVoteOptions, encryptPollVote, pollOptionHash } from '../src/phone/poll-vote.js';

const ctx = {
  pollCreatorJid: '15550009001@s.whatsapp.net',
  pollMsgId: '3EB0C0FFEE1234567890',
  pollEncKey: randomBytes(32),
  voterJid: '15550009002@s.whatsapp.net',
};
const hex = (list: Uint8Array[]) => list.map((h) => Buffer.from(h).toString('hex'));

describe('poll votes: the emulator encrypts what Baileys decrypts', () => {
  it("round-trips through Baileys' own decryptPollVote: the selected options are the SHA-256 of their names", () => {
    const vote = encryptPollVote(['Tea', 'Coffee'], ctx);
    const decrypted = decryptPollVote(vote, ctx);
    expect(hex(decrypted.selectedOptions)).toEqual(hex([pollOptionHash('Tea'), pollOptionHash('Coffee')]));
    expect(Buffer.from(decrypted.selectedOptions[0]!).toString('hex')).toBe(createHash('sha256').update('Tea').digest('hex'));
  });

  it('an empty selection (a withdrawn vote) round-trips too', () => {
    expect(decryptPollVote(encryptPollVote([], ctx), ctx).selectedOptions).toEqual([]);
  });

  it('is bound to the poll id, the creator, the voter and the secret: any other one fails to decrypt', () => {
    const vote = encryptPollVote(['Tea'], ctx);
    expect(() => decryptPollVote(vote, { ...ctx, pollMsgId: 'OTHER' })).toThrow();
    expect(() => decryptPollVote(vote, { ...ctx, voterJid: '15550009003@s.whatsapp.net' })).toThrow();
    expect(() => decryptPollVote(vote, { ...ctx, pollCreatorJid: '15550009003@s.whatsapp.net' })).toThrow();
    expect(() => decryptPollVote(vote, { ...ctx, pollEncKey: randomBytes(32) })).toThrow();
  });

  it('builds a pollUpdateMessage naming the poll key, with a timestamp', () => {
    const key = { remoteJid: ctx.pollCreatorJid, fromMe: false, id: ctx.pollMsgId };
    const before = Date.now();
    const message = buildPollUpdateMessage(key, ['Coffee'], ctx);
    const update = message.pollUpdateMessage!;
    expect(update.pollCreationMessageKey).toEqual(key);
    expect(Number(update.senderTimestampMs)).toBeGreaterThanOrEqual(before);
    expect(hex(decryptPollVote(update.vote!, ctx).selectedOptions)).toEqual(hex([pollOptionHash('Coffee')]));
  });

  it('decryptVoteOptions finds the jid forms the vote was bound to and maps hashes back to option names', () => {
    const lidCtx = { ...ctx, pollCreatorJid: '111111@lid', voterJid: '222222@lid' };
    const vote = encryptPollVote(['B'], lidCtx);
    const options = decryptVoteOptions(
      vote,
      { pollMsgId: ctx.pollMsgId, pollEncKey: ctx.pollEncKey, options: ['A', 'B', 'C'] },
      [ctx.pollCreatorJid, '111111@lid'],
      [ctx.voterJid, '222222@lid'],
    );
    expect(options).toEqual(['B']);
    expect(
      decryptVoteOptions(vote, { pollMsgId: ctx.pollMsgId, pollEncKey: ctx.pollEncKey, options: ['A', 'B'] }, [ctx.pollCreatorJid], [ctx.voterJid]),
    ).toBeUndefined();
  });
});
