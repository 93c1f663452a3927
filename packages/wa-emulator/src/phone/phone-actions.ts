import { randomBytes } from 'node:crypto';
import { PN_SERVER } from '../accounts.js';
import { generateMessageIDV2, proto, type WAMessage, type WASocket } from '../baileys.js';
import { BadRequestError, NotFoundError, SendFailedError } from '../errors.js';
import { LIMITS, type AccountRecord, type MediaInfo, type SentMessage, type SentStatus } from '../model.js';
import { describeContent, storedContent, toBaileysContent, type OutgoingContent } from './message-content.js';
import { buildPollUpdateMessage } from './poll-vote.js';
import type { PhoneMedia } from './phone-media.js';
import type { FoundMessage, MessageBook } from './phone-records.js';
import type { QuoteRequest } from './send-request.js';

/** What the actions need of the phone. */
export interface PhoneHandle {
  readonly account: AccountRecord;
  readonly book: MessageBook;
  readonly media: PhoneMedia;
  socket(): Promise<WASocket>;
  phoneOf(jid: string): string;
  /** [phone-number jid, LID jid] of a user */
  jidsOf(phone: string): string[];
  setStatus(record: SentMessage, status: SentStatus): void;
}

/** What a message to a group carries besides its content. */
export interface GroupSendOptions {
  /** phone numbers of the other participants: the sent record keeps a receipt per member */
  members?: string[];
  /** jids of the users mentioned (contextInfo.mentionedJid) */
  mentions?: string[];
}

/** The answer of a reaction, edit, delete or vote: its own message id and the message it changed. */
export interface ActionResult {
  actionId: string;
  target: FoundMessage;
}

/** What the phone sends: every call goes through its real Baileys client, end-to-end encrypted. */
export class PhoneActions {
  /** reactions, edits, deletes and votes sent lately, for retry receipts (they are no records of their own) */
  private readonly recentActions = new Map<string, proto.IMessage>();

  constructor(private readonly phone: PhoneHandle) {}

  /**
   * Sends a message. To a group (`to` its jid): `members` are the other participants (their
   * receipts are kept per member), `mentions` the users mentioned (jids as the group names them).
   */
  async send(to: string, out: OutgoingContent, quote?: QuoteRequest, uncheckedId?: string, group: GroupSendOptions = {}): Promise<SentMessage> {
    const sock = await this.phone.socket();
    const toJid = to.includes('@') ? to : `${to}@${PN_SERVER}`;
    const peer = this.phone.phoneOf(toJid);
    const quoted = quote && !quote.unchecked ? this.phone.book.find(quote.id, peer) : undefined;
    if (quote && !quote.unchecked && !quoted) throw new NotFoundError('quoted_message_not_found', `no message ${quote.id} in the chat with ${peer}`);
    if (quoted?.record.deleted) throw new BadRequestError('message_deleted', `message ${quote!.id} was deleted`);
    const quotedMessage = quoted ? this.asQuoted(quoted, toJid) : quote?.unchecked ? this.uncheckedQuote(quote.id, toJid) : undefined;
    const pollSecret = randomBytes(32);
    const now = new Date().toISOString();
    const record: SentMessage = {
      id: uncheckedId ?? generateMessageIDV2(sock.user?.id),
      to: peer,
      toJid,
      type: out.type,
      text: out.type === 'text' ? out.text : 'media' in out ? (out.media.caption ?? null) : null,
      status: 'pending',
      timestamp: now,
      updatedAt: now,
    };
    if (out.type === 'poll') Object.assign(record, { poll: { ...out.poll }, pollSecret });
    if (group.members) record.receipts = Object.fromEntries(group.members.map((phone) => [phone, {}]));
    if (group.mentions?.length) record.mentions = group.mentions.map((jid) => this.phone.phoneOf(jid));
    // media: the bytes are kept first (GET .../media answers them), then Baileys encrypts and uploads them
    const sentMedia = 'media' in out ? await this.keepMedia(out) : undefined;
    if (sentMedia) record.media = sentMedia;
    this.phone.book.addSent(record);
    try {
      const full = await sock.sendMessage(toJid, toBaileysContent(out, pollSecret, group.mentions) as Parameters<WASocket['sendMessage']>[1], {
        messageId: record.id,
        ...(quotedMessage ? { quoted: quotedMessage } : {}),
      });
      if (full?.message)
        Object.assign(
          record,
          describeContent(full.message, (jid) => this.phone.phoneOf(jid)),
        );
      if (sentMedia)
        record.media = { ...record.media, ...pick(sentMedia, 'sha256', 'size'), state: 'uploaded', mimeType: record.media?.mimeType ?? sentMedia.mimeType };
      this.phone.setStatus(record, 'sent');
    } catch (err) {
      record.status = 'failed';
      record.error = (err as Error).message;
      record.updatedAt = new Date().toISOString();
      if (record.media) Object.assign(record.media, { state: 'failed', error: record.error });
    }
    return record;
  }

  /** What a sent media record shows before Baileys has uploaded it, its bytes kept in the media store. */
  private async keepMedia(out: Extract<OutgoingContent, { media: unknown }>): Promise<MediaInfo> {
    const m = out.media;
    const sha256 = await this.phone.media.keepSent(m.bytes);
    const info: MediaInfo = { mimeType: m.mimeType ?? null, size: m.bytes.length, sha256, state: 'uploaded' };
    if (m.fileName !== undefined || out.type === 'document') info.fileName = m.fileName ?? 'file';
    if (m.caption) info.caption = m.caption;
    if (out.type === 'voice' || out.type === 'audio') info.ptt = out.type === 'voice';
    if (m.seconds !== undefined) info.seconds = m.seconds;
    if (m.viewOnce) info.viewOnce = true;
    return info;
  }

  /** Reacts to a message the account received or sent; an empty emoji removes the reaction. */
  async react(id: string, emoji: string): Promise<ActionResult> {
    const target = this.existing(id);
    const actionId = await this.relay(target, { react: { text: emoji, key: this.keyOf(target) } });
    this.phone.book.react(target.record, this.phone.account.phone, emoji);
    return { actionId, target };
  }

  async edit(id: string, text: string): Promise<ActionResult> {
    const target = this.ownMessage(id, 'edit');
    if (target.record.type !== 'text')
      throw new BadRequestError('not_a_text_message', `message ${id} is a ${target.record.type} message; only text can be edited`);
    const actionId = await this.relay(target, { text, edit: this.keyOf(target) });
    this.phone.book.edit(target.record, { conversation: text });
    return { actionId, target };
  }

  /** Deletes for everyone a message the account sent. */
  async remove(id: string): Promise<ActionResult> {
    const target = this.ownMessage(id, 'delete');
    const actionId = await this.relay(target, { delete: this.keyOf(target) });
    this.phone.book.revoke(target.record);
    return { actionId, target };
  }

  /**
   * Votes on a poll (option names; none withdraws the vote). Baileys sends polls but no votes,
   * so the vote is built here and relayed as it is; the jids it is bound to follow the
   * poll's chat: phone-number jids, or LIDs when the chat is addressed by LID.
   */
  async vote(id: string, options: string[]): Promise<ActionResult> {
    const target = this.existing(id);
    const { record } = target;
    if (!record.poll) throw new BadRequestError('not_a_poll', `message ${id} is a ${record.type} message, not a poll`);
    if (!record.pollSecret) throw new BadRequestError('poll_secret_missing', `poll ${id} came without its message secret; votes on it cannot be encrypted`);
    const unknown = options.filter((o) => !record.poll!.options.includes(o));
    if (unknown.length > 0) throw new BadRequestError('unknown_poll_option', `not options of poll ${id}: ${unknown.join(', ')}`);
    const chosen = [...new Set(options)];
    const max = record.poll.selectableCount;
    if (max > 0 && chosen.length > max) throw new BadRequestError('too_many_options', `poll ${id} allows ${max} option(s), got ${chosen.length}`);
    const sock = await this.phone.socket();
    const chatJid = this.chatJidOf(target);
    const addressing = chatJid.endsWith('@lid') ? 1 : 0;
    const me = this.phone.account.phone;
    const creator = target.direction === 'sent' ? me : target.record.from;
    const message = buildPollUpdateMessage(this.keyOf(target), chosen, {
      pollCreatorJid: this.jidFor(creator, addressing),
      pollMsgId: record.id,
      pollEncKey: record.pollSecret,
      voterJid: this.jidFor(me, addressing),
    });
    const actionId = generateMessageIDV2(sock.user?.id);
    try {
      await sock.relayMessage(chatJid, message, { messageId: actionId });
    } catch (err) {
      throw new SendFailedError('send_failed', `the vote could not be sent: ${(err as Error).message}`);
    }
    this.remember(actionId, message);
    this.phone.book.vote(record, me, chosen);
    return { actionId, target };
  }

  /** The content of a reaction, edit, delete or vote sent lately. */
  sentAction(id: string | null | undefined): proto.IMessage | undefined {
    return id ? this.recentActions.get(id) : undefined;
  }

  private existing(id: string): FoundMessage {
    const found = this.phone.book.find(id);
    if (!found) throw new NotFoundError('message_not_found', `account ${this.phone.account.phone} has no message ${id}`);
    if (found.record.deleted) throw new BadRequestError('message_deleted', `message ${id} was deleted`);
    return found;
  }

  private ownMessage(id: string, what: string): FoundMessage & { direction: 'sent' } {
    const found = this.existing(id);
    if (found.direction !== 'sent')
      throw new BadRequestError('not_sent_by_account', `message ${id} was received, not sent by this account: only its author can ${what} it`);
    return found;
  }

  private async relay(target: FoundMessage, content: Parameters<WASocket['sendMessage']>[1]): Promise<string> {
    const sock = await this.phone.socket();
    let sent: WAMessage | undefined;
    try {
      sent = await sock.sendMessage(this.chatJidOf(target), content);
    } catch (err) {
      throw new SendFailedError('send_failed', `could not send: ${(err as Error).message}`);
    }
    if (!sent?.key.id || !sent.message) throw new SendFailedError('send_failed', 'the phone client sent nothing');
    this.remember(sent.key.id, sent.message);
    return sent.key.id;
  }

  private remember(id: string, message: proto.IMessage): void {
    this.recentActions.set(id, message);
    if (this.recentActions.size > LIMITS.storedMessagesPerAccount) this.recentActions.delete(this.recentActions.keys().next().value!);
  }

  private chatJidOf(found: FoundMessage): string {
    return found.direction === 'sent' ? found.record.toJid : found.record.remoteJid;
  }

  /** A group member's message is known by its author too (`participant`, as the stanza named it). */
  private keyOf(found: FoundMessage): proto.IMessageKey {
    const key: proto.IMessageKey = { remoteJid: this.chatJidOf(found), fromMe: found.direction === 'sent', id: found.record.id };
    if (found.direction === 'received' && found.record.group && found.record.participantJid) key.participant = found.record.participantJid;
    return key;
  }

  private asQuoted(found: FoundMessage, chatJid: string): WAMessage {
    const { record } = found;
    const message = record.edited ? { conversation: record.text ?? '' } : storedContent(record);
    return { key: { remoteJid: chatJid, fromMe: found.direction === 'sent', id: record.id }, message };
  }

  /** A quote of any id, as a hostile peer would send it: Baileys copies the key's id into contextInfo.stanzaId as it is. */
  private uncheckedQuote(id: string, chatJid: string): WAMessage {
    return { key: { remoteJid: chatJid, fromMe: false, id }, message: { conversation: '' } };
  }

  /** 0 = phone-number jid, 1 = LID jid (of an emulator account; others have only the first). */
  private jidFor(phone: string, addressing: 0 | 1): string {
    return this.phone.jidsOf(phone)[addressing] ?? `${phone}@${PN_SERVER}`;
  }
}

function pick<T extends object, K extends keyof T>(from: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}
