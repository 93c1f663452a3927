import { proto } from '../baileys.js';
import { LIMITS, type AccountRecord, type MessageBody, type ReceivedMessage, type SentMessage } from '../model.js';
import { clip, contentKind, describeContent, textOf } from './message-content.js';
import { decryptVoteOptions } from './poll-vote.js';

export type FoundMessage = { direction: 'sent'; record: SentMessage } | { direction: 'received'; record: ReceivedMessage };

/** An incoming message as the phone's client decrypted it. */
export interface IncomingMessage {
  id: string;
  /** phone number of the other side of the chat */
  peer: string;
  /** sent by this account (the phone itself or one of its companions) */
  fromMe: boolean;
  remoteJid: string;
  /** a group message: the group's jid (`peer` is then the member who sent it) */
  group?: string;
  /** a group message: its sender's jid as the stanza named it */
  participantJid?: string;
  timestamp: string;
  message: proto.IMessage;
}

/** Keeps the newest `max` entries. */
export function trim<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * The account's messages as its phone sees them: what it received, what it sent, and the
 * edits, deletes, reactions and poll votes applied to both. One record per message key.
 */
export class MessageBook {
  constructor(
    private readonly account: AccountRecord,
    private readonly changed: () => void,
    /** the jids (phone number and LID) a user may be named by, to decrypt votes */
    private readonly jidsOf: (phone: string) => string[],
    /** the phone number behind a jid (mentions) */
    private readonly phoneOf?: (jid: string) => string,
  ) {}

  /** A message by id, sent ones first; `peer` narrows it to one chat. */
  find(id: string, peer?: string): FoundMessage | undefined {
    const sent = this.findSent(id, peer);
    if (sent) return { direction: 'sent', record: sent };
    const received = this.findReceived(id, peer);
    return received && { direction: 'received', record: received };
  }

  findSent(id: string, peer?: string): SentMessage | undefined {
    return this.account.sent.findLast((m) => m.id === id && (peer === undefined || m.to === peer));
  }

  /** A message this account sent to a group, by id. */
  findGroupSent(id: string, groupJid: string): SentMessage | undefined {
    return this.account.sent.findLast((m) => m.id === id && m.toJid === groupJid);
  }

  findReceived(id: string, peer?: string): ReceivedMessage | undefined {
    return this.account.received.findLast((m) => m.id === id && (peer === undefined || m.from === peer));
  }

  addSent(record: SentMessage): void {
    this.account.sent.push(record);
    trim(this.account.sent, LIMITS.storedMessagesPerAccount);
    this.changed();
  }

  /**
   * Stores a message someone else sent, or applies it when it acts on another message (edit,
   * delete, reaction, poll vote). A resend of a stored key changes nothing. Answers the new record.
   */
  receive(msg: IncomingMessage): ReceivedMessage | undefined {
    if (this.applyAction(msg) || msg.fromMe || this.findReceived(msg.id, msg.peer)) return undefined;
    const record: ReceivedMessage = {
      id: msg.id,
      from: msg.peer,
      fromJid: `${msg.peer}@s.whatsapp.net`,
      ...(msg.group ? { group: msg.group } : {}),
      ...(msg.participantJid ? { participantJid: msg.participantJid } : {}),
      timestamp: msg.timestamp,
      read: false,
      remoteJid: msg.remoteJid,
      ...describeContent(msg.message, this.phoneOf),
    };
    this.account.received.push(record);
    trim(this.account.received, LIMITS.storedMessagesPerAccount);
    this.changed();
    return record;
  }

  /**
   * Applies an edit, delete, reaction or vote to the message it names, when that one is stored.
   * False for any other message, and for someone else's reaction to a message not stored
   * (kept as a record of its own).
   */
  applyAction(msg: IncomingMessage): boolean {
    const { inner } = contentKind(msg.message);
    const author = msg.fromMe ? this.account.phone : msg.peer;
    const protocol = inner?.protocolMessage;
    if (protocol) {
      // only the author edits or deletes: the target is the author's own message in this chat
      const id = protocol.key?.id;
      const target = !id ? undefined : msg.fromMe ? this.findSent(id, msg.peer) : this.findReceived(id, msg.peer);
      if (target && protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && protocol.editedMessage) this.edit(target, protocol.editedMessage);
      if (target && protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) this.revoke(target);
      return true;
    }
    const reaction = inner?.reactionMessage;
    if (reaction?.key?.id) {
      // Baileys turned the key to this account's side: fromMe = a message this account sent
      const target = this.targetOf(reaction.key, msg.peer, msg.group);
      if (!target) return msg.fromMe;
      this.react(target, author, reaction.text ?? '');
      return true;
    }
    const update = inner?.pollUpdateMessage;
    if (update) {
      const key = update.pollCreationMessageKey;
      const poll = key?.id ? this.targetOf(key, msg.peer, msg.group) : undefined;
      if (!key?.id || !update.vote || !poll?.poll || !poll.pollSecret) return true;
      const creator = key.fromMe ? this.account.phone : msg.peer;
      const options = decryptVoteOptions(
        update.vote,
        { pollMsgId: key.id, pollEncKey: poll.pollSecret, options: poll.poll.options },
        this.jidsOf(creator),
        this.jidsOf(author),
      );
      if (options) this.vote(poll, author, options);
      return true;
    }
    return false;
  }

  edit(target: MessageBody, edited: proto.IMessage): void {
    const text = textOf(contentKind(edited).inner);
    if (text === null || target.deleted) return;
    target.text = text.slice(0, LIMITS.storedTextChars);
    target.edited = true;
    this.changed();
  }

  /** Deleted for everyone: the content goes, the record (id, sender, time) stays. */
  revoke(target: MessageBody): void {
    target.deleted = true;
    target.text = null;
    for (const field of ['location', 'contact', 'poll', 'media', 'quotedId', 'targetId', 'pollSecret', 'content', 'reactions', 'votes'] as const)
      delete target[field];
    this.changed();
  }

  /** One reaction per sender; an empty emoji takes it back. */
  react(target: MessageBody, from: string, emoji: string): void {
    if (target.deleted) return;
    const reactions = (target.reactions ?? []).filter((r) => r.from !== from);
    if (emoji) reactions.push({ from, emoji: clip(emoji, LIMITS.emojiChars)!, at: new Date().toISOString() });
    trim(reactions, LIMITS.reactionsPerMessage);
    target.reactions = reactions;
    this.changed();
  }

  /** The latest vote per voter. */
  vote(poll: MessageBody, from: string, options: string[]): void {
    if (poll.deleted) return;
    const votes = (poll.votes ?? []).filter((v) => v.from !== from);
    votes.push({ from, options, at: new Date().toISOString() });
    trim(votes, LIMITS.votesPerPoll);
    poll.votes = votes;
    this.changed();
  }

  /** In a group the target is a message of that group, whoever of its members `peer` is. */
  private targetOf(key: proto.IMessageKey, peer: string, group?: string): MessageBody | undefined {
    if (group) return key.fromMe ? this.findGroupSent(key.id!, group) : this.account.received.findLast((m) => m.id === key.id && m.group === group);
    return key.fromMe ? this.findSent(key.id!, peer) : this.findReceived(key.id!, peer);
  }
}
