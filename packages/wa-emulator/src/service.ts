import type { Logger } from 'pino';
import { deviceJid, userJid } from './accounts.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { linkByCode } from './linking/pairing-code.js';
import type { PendingLinks } from './linking/pending-links.js';
import { linkByQr } from './linking/qr-linking.js';
import type { EmulatorMedia } from './media/media.js';
import type { StoredBlob } from './media/blob-store.js';
import type { AccountRecord, DeviceRecord, MediaInfo, SentMessage } from './model.js';
import { AccountPhone } from './phone/phone.js';
import type { ActionResult } from './phone/phone-actions.js';
import { outgoingContent, quoteOf, type SendRequest } from './phone/send-request.js';
import type { BinaryNode } from './baileys.js';
import { answerMediaRetry } from './phone/media-retry.js';
import type { Hub } from './wire/hub.js';
import type { GroupActions } from './groups/group-actions.js';
import { GroupService } from './group-service.js';
import type { WireSession } from './wire/session.js';

/** What the admin API and the CLI can do with the emulator; the HTTP layer stays thin. */
export class EmulatorService {
  private readonly phones = new Map<string, AccountPhone>();
  /** groups: what accounts do with them through the admin API */
  readonly groups: GroupService;

  constructor(
    readonly hub: Hub,
    private readonly links: PendingLinks,
    readonly media: EmulatorMedia,
    groupActions: GroupActions,
    /** set once the server listens and its port is known */
    public wsUrl: string,
    private readonly logger: Logger,
  ) {
    this.groups = new GroupService(
      groupActions,
      (phone) => this.account(phone),
      (account) => this.phoneFor(account),
    );
  }

  /** Connects the phones of accounts loaded from a state file (a lazy phone only if it ever started). */
  async startPhones(): Promise<void> {
    const accounts = this.hub.registry.list().filter((account) => !account.lazyPhone || account.phoneAuth);
    await Promise.all(accounts.map((account) => this.phoneFor(account).start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.phones.values()].map((phone) => phone.stop()));
    this.phones.clear();
  }

  /** A new account; its phone client connects now unless `startPhone` is false (then at its first use). */
  async createAccount(phone: string, name?: string, opts: { startPhone?: boolean } = {}): Promise<ReturnType<EmulatorService['accountView']>> {
    const account = this.hub.registry.create(phone, name);
    if (opts.startPhone === false) account.lazyPhone = true;
    this.hub.saver.markDirty();
    if (opts.startPhone !== false) await this.phoneFor(account).start();
    return this.accountView(account);
  }

  account(phone: string): AccountRecord {
    const account = this.hub.registry.get(phone);
    if (!account) throw new NotFoundError('account_not_found', `no account ${phone}`);
    return account;
  }

  link(qr: string, phone: string): Promise<DeviceRecord> {
    return linkByQr(this.links, qr, phone);
  }

  /** The account's phone, its user typing the pairing code a device shows. */
  pair(phone: string, code: string): Promise<DeviceRecord> {
    return linkByCode(this.links, phone, code);
  }

  /** Sends a text, location, contact or poll from the account's phone, as a reply when `quoted_id` (or `unchecked_quoted_id`) names a message. */
  async send(phone: string, req: SendRequest): Promise<SentMessage> {
    const account = this.account(phone);
    const content = outgoingContent(req);
    const target = req.to.includes('@') ? this.hub.registry.resolve(req.to) : this.hub.registry.get(req.to);
    if (!target) throw new NotFoundError('recipient_not_found', `no account ${req.to} in this emulator`);
    return this.phoneFor(account).actions.send(req.to, content, quoteOf(req), req.unchecked_id);
  }

  react(phone: string, id: string, emoji: string): Promise<ActionResult> {
    return this.phoneFor(this.account(phone)).actions.react(id, emoji);
  }

  edit(phone: string, id: string, text: string): Promise<ActionResult> {
    return this.phoneFor(this.account(phone)).actions.edit(id, text);
  }

  deleteMessage(phone: string, id: string): Promise<ActionResult> {
    return this.phoneFor(this.account(phone)).actions.remove(id);
  }

  vote(phone: string, id: string, options: string[]): Promise<ActionResult> {
    return this.phoneFor(this.account(phone)).actions.vote(id, options);
  }

  async markRead(phone: string, ids?: string[]) {
    return this.phoneFor(this.account(phone)).markRead(ids);
  }

  /** The bytes of a message's media as the account's phone has them: what it sent, or what it downloaded and decrypted. */
  mediaOf(phone: string, id: string): { media: MediaInfo; blob: StoredBlob } {
    const found = this.phoneFor(this.account(phone)).book.find(id);
    if (!found) throw new NotFoundError('message_not_found', `account ${phone} has no message ${id}`);
    const media = found.record.media;
    if (!media) throw new BadRequestError('not_a_media_message', `message ${id} is a ${found.record.type} message`);
    const blob = this.phoneFor(this.account(phone)).media.bytesOf(found.record);
    if (!blob) throw new NotFoundError('media_not_available', `the media of message ${id} is ${media.state}${media.error ? `: ${media.error}` : ''}`);
    return { media, blob };
  }

  /**
   * Makes the media host forget an encrypted blob, named by its direct path (or URL) or by a
   * message of an account: downloads of it answer 404 from now on, as for media expired on WhatsApp.
   */
  expireMedia(req: { direct_path?: string; phone?: string; message_id?: string }): string {
    let directPath = req.direct_path;
    if (directPath === undefined) {
      if (req.phone === undefined || req.message_id === undefined) throw new BadRequestError('invalid_request', 'give direct_path, or phone and message_id');
      const found = this.phoneFor(this.account(req.phone)).book.find(req.message_id);
      if (!found) throw new NotFoundError('message_not_found', `account ${req.phone} has no message ${req.message_id}`);
      directPath = found.record.media?.directPath;
      if (!directPath) throw new BadRequestError('not_a_media_message', `message ${req.message_id} names no media on the media host`);
    } else if (req.phone !== undefined || req.message_id !== undefined) {
      throw new BadRequestError('invalid_request', 'direct_path excludes phone and message_id');
    }
    if (!this.media.host.expire(directPath)) throw new NotFoundError('media_not_found', `the media host has no blob at ${directPath}`);
    return directPath;
  }

  /** A device asks for media to be uploaded again (Baileys' updateMediaMessage): the sending account's phone does it. */
  answerMediaRetry(session: WireSession, node: BinaryNode): Promise<void> {
    return answerMediaRetry(this.hub, (account) => this.phoneFor(account), session, node, this.logger).catch((err: unknown) =>
      this.logger.warn({ err, id: node.attrs.id }, 'media re-upload request failed'),
    );
  }

  unlink(phone: string, deviceId: number): void {
    const account = this.account(phone);
    if (deviceId === 0) throw new BadRequestError('cannot_unlink_phone', 'device 0 is the account phone itself');
    if (!this.hub.logout(account, deviceId)) throw new NotFoundError('device_not_found', `account ${phone} has no device ${deviceId}`);
  }

  accountView(account: AccountRecord) {
    return {
      phone: account.phone,
      name: account.name,
      jid: userJid(account, 'pn'),
      lid: userJid(account, 'lid'),
      created_at: account.createdAt,
      linked_devices: Object.values(account.devices).filter((d) => d.kind === 'companion').length,
      phone_online: this.phones.get(account.phone)?.isOpen ?? false,
    };
  }

  deviceView(account: AccountRecord, device: DeviceRecord) {
    return {
      id: device.id,
      kind: device.kind,
      jid: deviceJid(account, device.id, 'pn'),
      lid: deviceJid(account, device.id, 'lid'),
      platform: device.platform,
      linked_at: device.linkedAt,
      online: this.hub.sessionOf(account, device.id) !== undefined,
      queued: device.queue.length,
      pre_keys: Object.keys(device.preKeys).length,
    };
  }

  /** What waits for a device (oldest first): delivered at its next login until it acks it or sends its receipt. */
  queueView(phone: string, deviceId: number) {
    const account = this.account(phone);
    const device = account.devices[String(deviceId)];
    if (!device) throw new NotFoundError('device_not_found', `account ${phone} has no device ${deviceId}`);
    const now = Date.now();
    return device.queue.map((q) => ({
      tag: q.node.tag,
      id: q.node.attrs.id ?? '',
      from: q.node.attrs.from ?? '',
      ...(q.node.attrs.type ? { type: q.node.attrs.type } : {}),
      queued_at: new Date(q.at).toISOString(),
      age_ms: Math.max(0, now - q.at),
      ...(q.nack ? { nack: q.nack } : {}),
    }));
  }

  /**
   * The connection counts of every companion device: each linked one, and each counted since the
   * start or the last reset and unlinked since (`linked: false`); by phone, then device id.
   * Device 0 (an account's phone, the emulator's own client) is left out.
   */
  connectionsView() {
    const keys = new Map<string, { phone: string; device: number }>();
    for (const account of this.hub.registry.list())
      for (const d of Object.values(account.devices)) if (d.kind === 'companion') keys.set(`${account.phone}:${d.id}`, { phone: account.phone, device: d.id });
    for (const [phone, device] of this.hub.countedDevices()) if (device !== 0) keys.set(`${phone}:${device}`, { phone, device });
    const devices = [...keys.values()]
      .sort((a, b) => (a.phone === b.phone ? a.device - b.device : a.phone < b.phone ? -1 : 1))
      .map(({ phone, device }) => {
        const account = this.hub.registry.get(phone);
        const record = account?.devices[String(device)];
        return {
          phone,
          device,
          jid: account ? deviceJid(account, device, 'pn') : `${phone}:${device}@s.whatsapp.net`,
          linked: record !== undefined,
          online: this.hub.isOnline(phone, device),
          ...this.hub.connectionCountsOf(phone, device),
        };
      });
    const totals = {
      devices: devices.length,
      online: devices.filter((d) => d.online).length,
      logins: devices.reduce((n, d) => n + d.logins, 0),
      replaced: devices.reduce((n, d) => n + d.replaced, 0),
    };
    return { devices, totals };
  }

  private phoneFor(account: AccountRecord): AccountPhone {
    let phone = this.phones.get(account.phone);
    if (!phone) {
      // Baileys logs routine events (the 515 restart after linking) as errors: phones stay quiet unless debugging
      const verbose = this.logger.level === 'debug' || this.logger.level === 'trace';
      const logger = this.logger.child({ phone: account.phone }, { level: verbose ? 'warn' : quieter(this.logger.level, 'fatal') });
      phone = new AccountPhone(this.hub, account, this.wsUrl, logger, (qr) => linkByQr(this.links, qr, account.phone, 'phone'), this.media);
      this.phones.set(account.phone, phone);
    }
    return phone;
  }
}

/** The less verbose of two pino levels: Baileys is chatty, the phones log errors only. */
function quieter(a: string, b: string): string {
  const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  return order.indexOf(a) > order.indexOf(b) ? a : b;
}
