import {
  generateWAMessage,
  isJidGroup,
  jidNormalizedUser,
  type BinaryNode,
  type MessageUserReceiptUpdate,
  type WAMessage,
  type WAMessageUpdate,
  type WASocket,
} from '@whiskeysockets/baileys';
import { proto } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import {
  SendError,
  type DeliveryStatus,
  type IdentityPair,
  type InboundMessage,
  type MediaDownload,
  type MessageRef,
  type NumberCheck,
  type OutboundMessage,
  type PresenceState,
  type SendResult,
  type StatusUpdate,
} from '../messages.js';
import { relievedWhile } from '../../lib/churn-relief.js';
import { guardInbound, isWaId } from '../inbound-guard.js';
import type { SessionEvents } from '../provider.js';
import { toKey, toProtoMessage, toQuoted, toSendContent } from './content.js';
import type { GroupMetadataCache } from './group-cache.js';
import { SessionAddressing } from './addressing.js';
import { contactPairs, lidOf, pairOf } from './identities.js';
import { chatJidOf, toInbound, type Me } from './inbound.js';
import type { RestrictionWatch } from './restriction-watch.js';
import { ACCOUNT_RESTRICTED_ACK, ackRefusal, classifySendError } from './send-errors.js';

const STATUS: Partial<Record<number, DeliveryStatus>> = {
  [proto.WebMessageInfo.Status.ERROR]: 'failed',
  [proto.WebMessageInfo.Status.SERVER_ACK]: 'sent',
  [proto.WebMessageInfo.Status.DELIVERY_ACK]: 'delivered',
  [proto.WebMessageInfo.Status.READ]: 'read',
  [proto.WebMessageInfo.Status.PLAYED]: 'read',
};

interface PendingAck {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  group: boolean;
}

/**
 * The messaging half of one device session: sends and waits for the server's ack, turns
 * Baileys' message and receipt events into WUTS's, and keeps their order.
 */
export class SessionMessaging {
  private readonly pendingAcks = new Map<string, PendingAck>();
  /** Media messages made ready ahead of their turn, by WhatsApp id. */
  private readonly prepared = new Map<string, Promise<WAMessage>>();
  /** Inbound batches are handed over one after another, in arrival order. */
  private inbound: Promise<void> = Promise.resolve();
  /** Messages kept before their receipt, not to hand over again when Baileys upserts them. */
  private readonly kept = new RecentKeys(KEPT_KEYS_REMEMBERED);
  private readonly addressing: SessionAddressing;

  constructor(
    private readonly socket: WASocket,
    private readonly events: SessionEvents,
    private readonly logger: Logger,
    private readonly ackTimeoutMs: number,
    /** A received message could not be kept (WhatsApp got no receipt): reconnect, and WhatsApp delivers it again. */
    private readonly onKeepFailed: () => void = () => {},
    private readonly groups?: GroupMetadataCache,
    /** the account's restrictions: a refusal 463 names until when, and has WhatsApp asked again */
    private readonly restrictions?: RestrictionWatch,
  ) {
    socket.ws.on('CB:ack,class:message', (node: BinaryNode) => this.onAck(node));
    socket.ev.on('message-receipt.update', (updates) => void this.onParticipantReceipts(updates));
    this.addressing = new SessionAddressing(socket, groups);
    if (groups) {
      groups.onIdentities = (pairs) => this.learn(pairs);
      groups.onSubject = (jid, subject) => this.events.onGroupSubject?.(jid, subject);
    }
    socket.ev.on('lid-mapping.update', (pair) => this.learn([pairOf(pair.lid, pair.pn)]));
    socket.ev.on('contacts.upsert', (contacts) => this.learn(contactPairs(contacts)));
    socket.ev.on('contacts.update', (contacts) => this.learn(contactPairs(contacts)));
    socket.ev.on('messaging-history.set', ({ contacts, lidPnMappings }) =>
      this.learn([...contactPairs(contacts), ...(lidPnMappings ?? []).map((m) => pairOf(m.lid, m.pn))]),
    );
    socket.ev.on('messages.upsert', ({ messages, type }) => this.onUpsert(messages, type === 'append'));
    socket.ev.on('messages.update', (updates) => this.onUpdates(updates));
    socket.ev.on('presence.update', ({ id, presences }) => {
      for (const [participant, p] of Object.entries(presences)) {
        const state = p.lastKnownPresence === 'composing' ? 'typing' : p.lastKnownPresence;
        if (['available', 'unavailable', 'typing', 'recording', 'paused'].includes(state)) {
          this.events.onPresence?.({ chatJid: jidNormalizedUser(id), participantJid: jidNormalizedUser(participant), state: state as PresenceState });
        }
      }
    });
  }

  private me(): Me {
    const user = this.socket.user;
    return { pn: user?.id ? jidNormalizedUser(user.id) : null, lid: user?.lid ? jidNormalizedUser(user.lid) : null };
  }

  /** Resolves on the server's ack; `written` is called once the stanza went to the socket (Baileys resolves then). */
  async send(message: OutboundMessage, written?: () => void): Promise<SendResult> {
    const group = isJidGroup(message.chatJid) === true;
    // the participants it goes to, read before the send (Baileys asks the same cache)
    const meta = group ? await this.groups?.get(message.chatJid) : undefined;
    const acked = this.waitForAck(message.waId, group);
    // a refusal can be acked before the send resolves: it is awaited below, not unhandled
    acked.catch(() => undefined);
    try {
      if (message.openMedia) {
        const ready = await this.takePrepared(message);
        await this.socket.relayMessage(message.chatJid, ready.message!, { messageId: message.waId });
      } else {
        if (group) message = await this.addressing.inGroupAddressing(message);
        const quoted = message.quoted ? toQuoted(message.quoted) : undefined;
        await this.socket.sendMessage(message.chatJid, toSendContent(message), { messageId: message.waId, ...(quoted ? { quoted } : {}) });
      }
    } catch (err) {
      this.dropAck(message.waId);
      throw classifySendError(err);
    }
    written?.();
    await acked;
    return this.addressing.sendResult(message.chatJid, meta, this.me());
  }

  /**
   * Starts making a media message ready ahead of its turn: its file encrypted, uploaded to the
   * media host, and the message built around it, so that its send() only relays it. A failure
   * here is forgotten: send() makes it again and reports what goes wrong.
   */
  prepare(message: OutboundMessage): void {
    if (!message.openMedia || this.prepared.has(message.waId)) return;
    const ready = this.readyToRelay(message);
    ready.catch(() => {});
    this.prepared.set(message.waId, ready);
    // a prepared message that is never sent (cancelled, failed) must not stay for good
    if (this.prepared.size > PREPARED_KEPT) this.prepared.delete(this.prepared.keys().next().value!);
  }

  private async takePrepared(message: OutboundMessage): Promise<WAMessage> {
    const ready = this.prepared.get(message.waId);
    this.prepared.delete(message.waId);
    return (await ready?.catch(() => undefined)) ?? this.readyToRelay(message);
  }

  /** What Baileys' sendMessage does for a media message before it relays it. */
  private async readyToRelay(message: OutboundMessage): Promise<WAMessage> {
    if (isJidGroup(message.chatJid)) message = await this.addressing.inGroupAddressing(message);
    const quoted = message.quoted ? toQuoted(message.quoted) : undefined;
    const file = await message.openMedia!();
    const size = 'size' in message.content ? (message.content.size ?? 0) : 0;
    try {
      return await relievedWhile(size, () =>
        generateWAMessage(message.chatJid, toSendContent(message, file), {
          logger: this.logger,
          userJid: this.socket.authState.creds.me!.id,
          upload: this.socket.waUploadToServer,
          messageId: message.waId,
          ...(quoted ? { quoted } : {}),
        }),
      );
    } finally {
      file.destroy(); // read to the end when it worked; must not stay open when it did not
    }
  }

  async markRead(refs: MessageRef[]): Promise<void> {
    if (refs.length === 0) return;
    const keys = await Promise.all(refs.map((r) => this.addressing.refInGroupAddressing(r)));
    await this.socket.readMessages(keys.map((r) => ({ ...toKey(r), ...(r.senderJid && r.senderJid !== r.chatJid ? { participant: r.senderJid } : {}) })));
  }

  async checkNumbers(phones: string[]): Promise<NumberCheck[]> {
    const results = (await this.socket.onWhatsApp(...phones)) ?? [];
    const byPhone = new Map(results.map((r) => [r.jid.split('@')[0]!.split(':')[0]!, r]));
    return Promise.all(
      phones.map(async (phone) => {
        const found = byPhone.get(phone);
        const jid = found?.exists ? jidNormalizedUser(found.jid) : null;
        return { phone, on_whatsapp: !!found?.exists, jid, lid: jid ? await lidOf(this.socket, jid) : null };
      }),
    );
  }

  /** Baileys' media re-upload request: the phone that sent the file uploads it again, under a new direct path. */
  async reuploadMedia(ref: MessageRef, download: MediaDownload): Promise<string> {
    const media = { mediaKey: Buffer.from(download.mediaKey, 'base64'), directPath: download.directPath, url: download.url };
    const updated = await this.socket.updateMediaMessage({
      key: { ...toKey(ref), ...(ref.senderJid && ref.senderJid !== ref.chatJid ? { participant: ref.senderJid } : {}) },
      message: { [`${download.mediaType}Message`]: media },
    });
    const content = updated.message?.[`${download.mediaType}Message`] as { directPath?: string | null } | undefined;
    if (!content?.directPath) throw new Error('the phone answered the re-upload request without a new direct path');
    return content.directPath;
  }

  async sendPresence(state: PresenceState, chatJid?: string): Promise<void> {
    const type = state === 'typing' ? 'composing' : state;
    await this.socket.sendPresenceUpdate(type, chatJid);
  }

  /** The session closed: sends still waiting for an ack fail as transient (they are sent again). */
  close(): void {
    this.prepared.clear();
    for (const [id, pending] of this.pendingAcks) {
      clearTimeout(pending.timer);
      pending.reject(new SendError('the connection closed before WhatsApp acknowledged the message', false));
      this.pendingAcks.delete(id);
    }
  }

  private waitForAck(waId: string, group: boolean): Promise<void> {
    this.dropAck(waId);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(waId);
        reject(new SendError(`WhatsApp did not acknowledge the message within ${this.ackTimeoutMs} ms`, false));
      }, this.ackTimeoutMs);
      this.pendingAcks.set(waId, { resolve, reject, timer, group });
    });
  }

  private dropAck(waId: string): void {
    const pending = this.pendingAcks.get(waId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingAcks.delete(waId);
    pending.resolve();
  }

  private onAck(node: BinaryNode): void {
    const id = node.attrs.id;
    const pending = id ? this.pendingAcks.get(id) : undefined;
    if (!id || !pending) return;
    clearTimeout(pending.timer);
    this.pendingAcks.delete(id);
    const error = node.attrs.error;
    if (!error) return pending.resolve();
    if (error === ACCOUNT_RESTRICTED_ACK && !pending.group) this.restrictions?.refresh();
    const refusal = ackRefusal(error, pending.group, this.restrictions?.refusalReason());
    pending.reject(new SendError(refusal.reason, refusal.permanent));
  }

  /**
   * Called by Baileys (patched: store before acknowledging) with each decrypted message before
   * its delivery receipt goes out. Throwing leaves the message unacknowledged: WhatsApp then
   * delivers it again. A message WUTS skips (unsupported, invalid id) is acknowledged.
   */
  async keepBeforeReceipt(m: WAMessage, offline: boolean): Promise<void> {
    const keep = this.events.keepMessage;
    if (!keep) return;
    try {
      // reading it keeps the identities it teaches, which can fail like keeping it
      const inbound = await this.readOne(m, this.me(), offline);
      if (inbound) await keep.call(this.events, inbound);
    } catch (err) {
      this.onKeepFailed();
      throw err;
    }
    this.kept.add(messageKeyOf(m));
  }

  /** Called by Baileys (patched) with a receipt's statuses before the receipt is acknowledged. */
  async keepReceipts(updates: WAMessageUpdate[]): Promise<void> {
    const keep = this.events.keepStatuses;
    const statuses = ourStatuses(updates);
    if (!keep || statuses.length === 0) return;
    try {
      await keep.call(this.events, statuses);
    } catch (err) {
      this.onKeepFailed();
      throw err;
    }
  }

  private onUpsert(messages: WAMessage[], offline: boolean): void {
    const handler = this.events.onMessages;
    if (!handler) return;
    const me = this.me();
    this.inbound = this.inbound
      .then(async () => {
        const batch: InboundMessage[] = [];
        for (const m of messages) {
          if (this.kept.take(messageKeyOf(m))) continue;
          const inbound = await this.readOne(m, me, offline);
          if (inbound) batch.push(inbound);
        }
        if (batch.length) await handler.call(this.events, batch);
      })
      .catch((err: unknown) => this.logger.error({ err }, 'storing received messages failed'));
  }

  /** One message of a batch in WUTS's terms, made safe to store (inbound-guard); null when skipped. */
  private async readOne(m: WAMessage, me: Me, offline: boolean): Promise<InboundMessage | null> {
    const key = { chatJid: chatJidOf(m.key), waId: printable(m.key.id), fromMe: !!m.key.fromMe };
    if (!isWaId(m.key.id)) {
      this.logger.warn(key, 'skipped a received message: its id is no WhatsApp message id');
      return null;
    }
    const found = await this.addressing.addressOf(m);
    if (!found) return null;
    // the pairs a message teaches are kept before the message itself; a failure to keep them
    // propagates like a failure to keep the message (no receipt: WhatsApp delivers it again)
    await this.learnNow(found.pairs);
    const addr = found.addressing;
    try {
      const status = m.key.fromMe && typeof m.status === 'number' ? STATUS[m.status] : undefined;
      if (status) this.events.onStatuses?.([{ chatJid: addr.chatJid, waId: m.key.id, status }]);
      const read = await toInbound(m, me, addr, this.events.lookupMessage?.bind(this.events), offline);
      if (!read) return null;
      const guarded = guardInbound(read);
      if (!guarded.message) {
        this.logger.warn({ ...key, reason: guarded.rejected, targetWaId: printable(read.targetWaId) }, 'skipped a received message: it points at no valid id');
        return null;
      }
      if (guarded.droppedQuotedWaId !== null)
        this.logger.warn(
          { ...key, quotedWaId: printable(guarded.droppedQuotedWaId) },
          'dropped the quote of a received message: its id is no WhatsApp message id',
        );
      return guarded.message;
    } catch (err) {
      this.logger.error({ err, ...key }, 'reading a received message failed; going on with the next');
      return null;
    }
  }

  /** Hands over identity pairs learned now (awaited: the message that taught them follows). */
  private async learnNow(pairs: Array<IdentityPair | null>): Promise<void> {
    const known = pairs.filter((p): p is IdentityPair => p !== null);
    if (known.length && this.events.onIdentities) await this.events.onIdentities(known);
  }

  /** Identity pairs from Baileys' events, in order with the inbound messages. */
  private learn(pairs: Array<IdentityPair | null>): void {
    this.inbound = this.inbound.then(() => this.learnNow(pairs)).catch((err: unknown) => this.logger.warn({ err }, 'storing learned identities failed'));
  }

  private async onParticipantReceipts(updates: MessageUserReceiptUpdate[]): Promise<void> {
    const receipts = await this.addressing.participantReceipts(updates);
    if (receipts.length) this.events.onParticipantReceipts?.(receipts);
  }

  private onUpdates(updates: WAMessageUpdate[]): void {
    let statuses = ourStatuses(updates, this.restrictions?.refusalReason());
    // receipts were kept before their ack (keepReceipts); an error ack of a send is not a receipt
    if (this.events.keepStatuses) statuses = statuses.filter((s) => s.status === 'failed');
    if (statuses.length) this.events.onStatuses?.(statuses);
  }

  /** Baileys asks for a message to send again (a recipient could not decrypt it). */
  async getMessage(key: {
    remoteJid?: string | null;
    remoteJidAlt?: string | null;
    id?: string | null;
    fromMe?: boolean | null;
  }): Promise<proto.IMessage | undefined> {
    const chatJid = chatJidOf(key);
    if (!chatJid || !isWaId(key.id) || !this.events.lookupMessage) return undefined;
    const content = await this.events.lookupMessage({ chatJid, waId: key.id, fromMe: !!key.fromMe, senderJid: key.fromMe ? null : chatJid });
    return content ? toProtoMessage(content) : undefined;
  }
}

/** How many kept message keys a session remembers until Baileys upserts them (it does so at once). */
const KEPT_KEYS_REMEMBERED = 5_000;
/** Prepared media messages kept for their turn; the oldest is dropped beyond this. */
const PREPARED_KEPT = 8;

function messageKeyOf(m: WAMessage): string {
  return `${m.key.remoteJid ?? ''}|${m.key.id ?? ''}|${m.key.fromMe ? 1 : 0}`;
}

/** The statuses of messages this account sent, in WUTS's terms. */
function ourStatuses(updates: WAMessageUpdate[], restrictedReason?: string): StatusUpdate[] {
  const statuses: StatusUpdate[] = [];
  for (const { key, update } of updates) {
    const status = typeof update.status === 'number' ? STATUS[update.status] : undefined;
    const chatJid = chatJidOf(key);
    if (!key.fromMe || !status || !chatJid || !isWaId(key.id)) continue;
    // an error ack names its code: say why, as the sender does (ackRefusal)
    const code = status === 'failed' ? update.messageStubParameters?.[0] : undefined;
    const reason = typeof code === 'string' && /^\d{3}$/.test(code) ? ackRefusal(code, !!isJidGroup(chatJid), restrictedReason).reason : undefined;
    statuses.push({ chatJid, waId: key.id, status, ...(reason ? { reason } : {}) });
  }
  return statuses;
}

/** A bounded set of keys, oldest out first; take() answers whether a key was there and forgets it. */
class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly max: number) {}

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value as string);
  }

  take(key: string): boolean {
    return this.keys.delete(key);
  }
}

/** An id a peer chose, safe to log: JSON-quoted (control characters escaped) and bounded. */
function printable(id: string | null | undefined): string | null {
  return id === null || id === undefined ? null : JSON.stringify(id).slice(0, 200);
}
