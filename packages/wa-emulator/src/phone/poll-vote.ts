import { randomBytes } from 'node:crypto';
import { aesEncryptGCM, decryptPollVote, hmacSign, proto, sha256 } from '../baileys.js';

/** Who and what a vote is bound to: the same four values encrypt and decrypt it. */
export interface PollVoteContext {
  /** user jid (no device) of the poll's author */
  pollCreatorJid: string;
  pollMsgId: string;
  /** the poll's messageContextInfo.messageSecret */
  pollEncKey: Uint8Array;
  /** user jid (no device) of the voter */
  voterJid: string;
}

/** A poll option as votes name it: the SHA-256 of its name. */
export function pollOptionHash(name: string): Buffer {
  return sha256(Buffer.from(name));
}

/**
 * The mirror image of Baileys' `decryptPollVote`: AES-256-GCM over a `PollVoteMessage`, with a
 * key derived from the poll's secret and bound to the poll id, its creator and the voter.
 */
export function encryptPollVote(optionNames: string[], ctx: PollVoteContext): proto.Message.IPollEncValue {
  const plaintext = proto.Message.PollVoteMessage.encode({ selectedOptions: optionNames.map(pollOptionHash) }).finish();
  const encIv = randomBytes(12);
  const encPayload = aesEncryptGCM(plaintext, voteKey(ctx), encIv, Buffer.from(`${ctx.pollMsgId}\u0000${ctx.voterJid}`));
  return { encPayload, encIv };
}

function voteKey({ pollCreatorJid, pollMsgId, pollEncKey, voterJid }: PollVoteContext): Buffer {
  const info = Buffer.concat([Buffer.from(pollMsgId), Buffer.from(pollCreatorJid), Buffer.from(voterJid), Buffer.from('Poll Vote'), Buffer.from([1])]);
  const secret = hmacSign(pollEncKey, new Uint8Array(32), 'sha256');
  return hmacSign(info, secret, 'sha256');
}

/** The `pollUpdateMessage` a voter sends: Baileys 7 builds none, so the phone does. */
export function buildPollUpdateMessage(pollKey: proto.IMessageKey, optionNames: string[], ctx: PollVoteContext): proto.IMessage {
  return {
    pollUpdateMessage: {
      pollCreationMessageKey: pollKey,
      vote: encryptPollVote(optionNames, ctx),
      senderTimestampMs: Date.now(),
    },
  };
}

/**
 * Decrypts a vote, trying each jid form (phone number or LID) a client may have bound it to:
 * AES-GCM authenticates, so only the right pair decrypts. Answers the option names voted for,
 * or undefined when no pair fits.
 */
export function decryptVoteOptions(
  vote: proto.Message.IPollEncValue,
  base: { pollMsgId: string; pollEncKey: Uint8Array; options: string[] },
  creatorJids: string[],
  voterJids: string[],
): string[] | undefined {
  for (const pollCreatorJid of creatorJids) {
    for (const voterJid of voterJids) {
      let selected: Uint8Array[];
      try {
        selected = decryptPollVote(vote, { ...base, pollCreatorJid, voterJid }).selectedOptions;
      } catch {
        continue;
      }
      const byHash = new Map(base.options.map((name) => [pollOptionHash(name).toString('hex'), name]));
      return selected.map((hash) => byHash.get(Buffer.from(hash).toString('hex'))).filter((name): name is string => name !== undefined);
    }
  }
  return undefined;
}
