import type { Logger } from 'pino';
import { PN_SERVER, userJid } from '../accounts.js';
import { jidDecode, makeWASocket, proto, type WAMessage, type WASocket } from '../baileys.js';
import type { AccountRecord, ReceivedMessage, SentMessage, SentStatus } from '../model.js';
import type { Hub } from '../wire/hub.js';
import { makeMemoryAuthState } from './auth-state.js';
import { storedContent } from './message-content.js';
import { MessageBook } from './phone-records.js';
import { PhoneActions } from './phone-actions.js';
import { PhoneMedia, type MediaAccess } from './phone-media.js';

const OPEN_TIMEOUT_MS = 20_000;
const STATUS_RANK: Record<SentStatus, number> = { failed: -1, pending: 0, sent: 1, delivered: 2, read: 3, played: 4 };
const STATUS_FROM_PROTO: Record<number, SentStatus> = {
  [proto.WebMessageInfo.Status.ERROR]: 'failed',
  [proto.WebMessageInfo.Status.SERVER_ACK]: 'sent',
  [proto.WebMessageInfo.Status.DELIVERY_ACK]: 'delivered',
  [proto.WebMessageInfo.Status.READ]: 'read',
  [proto.WebMessageInfo.Status.PLAYED]: 'played',
};

/**
 * The account's phone: a real Baileys client linked as device 0, so the account sends and
 * reads real end-to-end-encrypted messages without the emulator implementing Signal.
 */
export class AccountPhone {
  private sock: WASocket | undefined;
  private started = false;
  private open = false;
  private stopped = false;
  private retryDelayMs = 250;
  private waiters: Array<() => void> = [];
  /** what the admin API and incoming messages read and change */
  readonly book: MessageBook;
  /** sending: messages, reactions, edits, deletes, votes */
  readonly actions: PhoneActions;
  /** the bytes of media sent and received (downloaded and decrypted as each arrives) */
  readonly media: PhoneMedia;
  /** received records whose media is being downloaded */
  private readonly downloading = new Set<string>();

  constructor(
    private readonly hub: Hub,
    readonly account: AccountRecord,
    private readonly wsUrl: string,
    private readonly logger: Logger,
    /** links the QR its own client shows, as device 0 of the account (the phone scanning itself) */
    private readonly linkOwnQr: (qr: string) => Promise<unknown>,
    mediaAccess: MediaAccess,
  ) {
    this.book = new MessageBook(
      account,
      () => hub.saver.markDirty(),
      (phone) => this.jidsOf(phone),
      (jid) => this.phoneOf(jid),
    );
    this.media = new PhoneMedia(mediaAccess, logger, () => hub.saver.markDirty());
    this.actions = new PhoneActions(this);
  }

  get isOpen(): boolean {
    return this.open;
  }

  start(): Promise<void> {
    return this.ready();
  }

  /** Resolves when the client is logged in (open); connects it first if it never was (a lazy phone's first use). */
  ready(timeoutMs = OPEN_TIMEOUT_MS): Promise<void> {
    if (this.open) return Promise.resolve();
    if (!this.started) {
      this.started = true;
      this.connect();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`phone of ${this.account.phone} did not connect within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The logged-in client, once it is. */
  async socket(): Promise<WASocket> {
    await this.ready();
    return this.sock!;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const sock = this.sock;
    this.sock = undefined;
    if (sock) await sock.end(undefined);
  }

  /** Sends read receipts for the received messages named (all unread when none are). */
  async markRead(ids?: string[]): Promise<ReceivedMessage[]> {
    await this.ready();
    const unread = this.account.received.filter((m) => !m.read && (!ids || ids.includes(m.id)));
    if (unread.length === 0) return [];
    await this.sock!.readMessages(
      unread.map((m) => ({ remoteJid: m.remoteJid, id: m.id, fromMe: false, ...(m.participantJid ? { participant: m.participantJid } : {}) })),
    );
    for (const m of unread) m.read = true;
    this.hub.saver.markDirty();
    return unread;
  }

  setStatus(record: SentMessage, status: SentStatus): void {
    if (record.status === 'failed' && record.error) return; // refused: no later ack or receipt changes that
    if (status !== 'failed' && STATUS_RANK[status] <= STATUS_RANK[record.status]) return;
    record.status = status;
    record.updatedAt = new Date().toISOString();
    this.hub.saver.markDirty();
  }

  /** The phone number behind a PN or LID jid (LIDs resolve through the emulator's accounts). */
  phoneOf(jid: string): string {
    const resolved = this.hub.registry.resolve(jid);
    return resolved ? resolved.account.phone : (jidDecode(jid)?.user ?? jid);
  }

  /** The user jids of a phone number: its PN jid, and its LID jid when it is an emulator account. */
  jidsOf(phone: string): string[] {
    const account = this.hub.registry.get(phone);
    return account ? [userJid(account, 'pn'), userJid(account, 'lid')] : [`${phone}@${PN_SERVER}`];
  }

  private connect(): void {
    if (this.stopped) return;
    const auth = makeMemoryAuthState(this.account.phoneAuth, () => this.hub.saver.markDirty());
    this.account.phoneAuth = auth.data;
    const sock = makeWASocket({
      auth: auth.state,
      waWebSocketUrl: this.wsUrl,
      logger: this.logger,
      browser: ['WUTS emulator', 'Chrome', '1.0'],
      markOnlineOnConnect: false,
      syncFullHistory: false,
      shouldSyncHistoryMessage: () => false,
      defaultQueryTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      // uploads go to the emulator's media host, whose certificate is self-signed
      fetchAgent: this.media.fetchAgent,
      // retry receipts: the recipient asks for the original content again
      getMessage: async (key) => {
        const sent = key.id ? this.book.findSent(key.id) : undefined;
        return sent ? storedContent(sent) : this.actions.sentAction(key.id);
      },
    });
    this.sock = sock;
    sock.ev.on('creds.update', () => this.hub.saver.markDirty());
    sock.ev.on('connection.update', (update) => {
      if (update.qr) {
        this.linkOwnQr(update.qr).catch((err: unknown) => this.logger.error({ err }, 'could not link the account phone'));
      }
      if (update.connection === 'open') {
        this.open = true;
        this.retryDelayMs = 250;
        for (const wake of this.waiters.splice(0)) wake();
        this.resumeDownloads();
      }
      if (update.connection === 'close') this.onClose(sock, update.lastDisconnect?.error);
    });
    // Every message, edits, deletes, reactions and votes included, arrives here as it came;
    // Baileys also reports edits and deletes as messages.update, which adds nothing.
    sock.ev.on('messages.upsert', ({ messages }) => this.recordReceived(messages));
    sock.ev.on('messages.update', (updates) => {
      for (const { key, update } of updates) {
        const status = update.status === undefined || update.status === null ? undefined : STATUS_FROM_PROTO[update.status];
        const sent = key.fromMe && status && key.id ? this.book.findSent(key.id) : undefined;
        if (!sent || !status) continue;
        // an ack with an error (a group refusing a non-admin's message...): Baileys reports its code
        const code = status === 'failed' ? update.messageStubParameters?.[0] : undefined;
        if (code && !sent.error) this.refused(sent, code);
        this.setStatus(sent, status);
      }
    });
    // group messages: one receipt per member (Baileys reports no status for groups)
    sock.ev.on('message-receipt.update', (updates) => {
      for (const { key, receipt } of updates) {
        const sent = key.id && key.remoteJid ? this.book.findGroupSent(key.id, key.remoteJid) : undefined;
        if (sent && receipt.userJid) this.groupReceipt(sent, this.phoneOf(receipt.userJid), receipt.readTimestamp ? 'read' : 'delivered', receipt);
      }
    });
  }

  private refused(record: SentMessage, code: string): void {
    record.error = `refused by the server: error ${code}`;
    record.status = 'failed';
    record.updatedAt = new Date().toISOString();
    this.hub.saver.markDirty();
  }

  /** One member's receipt for a group message; the record is delivered (read) once every member's is. */
  private groupReceipt(record: SentMessage, phone: string, kind: 'delivered' | 'read', receipt: { receiptTimestamp?: unknown; readTimestamp?: unknown }): void {
    if (phone === this.account.phone) return;
    const receipts = (record.receipts ??= {});
    const entry = (receipts[phone] ??= {});
    const seconds = Number(kind === 'read' ? receipt.readTimestamp : receipt.receiptTimestamp) || Math.floor(Date.now() / 1000);
    const at = new Date(seconds * 1000).toISOString();
    if (kind === 'read') {
      entry.readAt ??= at;
      entry.deliveredAt ??= at;
    } else entry.deliveredAt ??= at;
    const all = Object.values(receipts);
    if (all.every((r) => r.readAt)) this.setStatus(record, 'read');
    else if (all.every((r) => r.deliveredAt)) this.setStatus(record, 'delivered');
    else this.hub.saver.markDirty();
  }

  private onClose(sock: WASocket, error: Error | undefined): void {
    if (this.sock !== sock) return;
    this.open = false;
    this.sock = undefined;
    if (this.stopped) return;
    const code = (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
    if (code === 401) {
      // the phone itself was unlinked: start over with fresh credentials as device 0
      this.logger.warn({ phone: this.account.phone }, 'account phone logged out; linking it again');
      delete this.account.phoneAuth;
    }
    const delay = code === 515 || code === 401 ? 0 : this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
    setTimeout(() => this.connect(), delay).unref();
  }

  private recordReceived(messages: WAMessage[]): void {
    for (const msg of messages) {
      const { key, message } = msg;
      const remoteJid = key.remoteJid;
      if (!key.id || !remoteJid) continue;
      if (key.fromMe) {
        // Baileys' event buffer can fold a fast receipt (a group's per-member receipts, an
        // error ack and its code) into the upsert of our own message
        const status = typeof msg.status === 'number' ? STATUS_FROM_PROTO[msg.status] : undefined;
        const sent = this.book.findSent(key.id);
        const code = status === 'failed' ? msg.messageStubParameters?.[0] : undefined;
        if (sent && code && !sent.error) this.refused(sent, code);
        if (sent && status) this.setStatus(sent, status);
        for (const receipt of msg.userReceipt ?? [])
          if (sent && receipt.userJid) this.groupReceipt(sent, this.phoneOf(receipt.userJid), receipt.readTimestamp ? 'read' : 'delivered', receipt);
      }
      if (!message) continue;
      const isGroup = remoteJid.endsWith('@g.us');
      if (!remoteJid.endsWith(`@${PN_SERVER}`) && !remoteJid.endsWith('@lid') && !isGroup) continue;
      if (isGroup && !key.participant) continue;
      const seconds = Number(msg.messageTimestamp ?? 0) || Math.floor(Date.now() / 1000);
      const record = this.book.receive({
        id: key.id,
        peer: this.phoneOf(isGroup ? key.participant! : remoteJid),
        fromMe: key.fromMe === true,
        remoteJid,
        ...(isGroup ? { group: remoteJid, participantJid: key.participant! } : {}),
        timestamp: new Date(seconds * 1000).toISOString(),
        message,
      });
      if (record?.media) this.download(record, msg);
    }
  }

  /** Downloads and decrypts a received record's media in the background. */
  private download(record: ReceivedMessage, msg: WAMessage): void {
    const media = record.media;
    if (!media || this.downloading.has(record.id)) return;
    this.downloading.add(record.id);
    media.state = 'downloading';
    void this.media.download(media, msg).finally(() => this.downloading.delete(record.id));
  }

  /** Media whose download a restart interrupted: downloaded again from the stored message. */
  private resumeDownloads(): void {
    for (const record of this.account.received) {
      if (record.media?.state !== 'downloading' || this.downloading.has(record.id)) continue;
      if (!record.content) {
        Object.assign(record.media, { state: 'failed', error: 'interrupted, and the message was too large to keep for a new download' });
        continue;
      }
      const message = storedContent(record);
      this.download(record, { key: { id: record.id, remoteJid: record.remoteJid, fromMe: false }, message });
    }
  }
}
