import { jidDecode, type ConnectionState, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { SendError, type MediaDownload, type MessageRef, type NumberCheck, type OutboundMessage, type PresenceState, type SendResult } from '../messages.js';
import type { DeviceSession, DisconnectKind, LinkedAccount, SessionEvents } from '../provider.js';
import type { DeviceGroups } from '../groups.js';
import { isLinked, type SessionAuth } from './auth-state.js';
import { classifyDisconnect, describeCloseError } from './disconnect.js';
import { listenToGroupEvents } from './group-events.js';
import { GroupIdentities } from './group-identities.js';
import { BaileysGroups } from './groups.js';
import { GroupMetadataCache } from './group-cache.js';
import { SessionMessaging } from './messaging.js';
import { requestPairingCode } from './pairing.js';
import { RestrictionWatch } from './restriction-watch.js';

export type SessionPhase = 'connecting' | 'qr' | 'open' | 'closed';

export class SessionClosedError extends Error {
  constructor(deviceId: string) {
    super(`the WhatsApp session of device ${deviceId} is already closed`);
    this.name = 'SessionClosedError';
  }
}

export interface SessionParts {
  deviceId: string;
  socket: WASocket;
  auth: SessionAuth;
  events: SessionEvents;
  logger: Logger;
  pairingPhone?: string | undefined;
  queryTimeoutMs: number;
  /** How long a send waits for the server's ack before it counts as failed (and is retried). */
  ackTimeoutMs: number;
  /** Called once, just before onClose: the provider forgets the session. */
  onFinished: (session: BaileysDeviceSession) => void;
  /** The metadata of the session's groups (also Baileys' cachedGroupMetadata). */
  groups?: GroupMetadataCache | undefined;
}

/** After a received message could not be kept: time for its NACK to go out before the socket closes. */
const REDELIVERY_CLOSE_DELAY_MS = 1_000;

/** How long stop() and logout() wait for Baileys to report the close before closing the session themselves. */
const CLOSE_GRACE_MS = 5_000;

/** One Baileys socket for one device, from start to its single onClose. */
export class BaileysDeviceSession implements DeviceSession {
  readonly deviceId: string;
  readonly socket: WASocket;
  readonly messaging: SessionMessaging;
  readonly groups: DeviceGroups;
  private readonly auth: SessionAuth;
  private readonly events: SessionEvents;
  private readonly logger: Logger;
  private readonly parts: SessionParts;
  private phaseNow: SessionPhase = 'connecting';
  private requested: 'closed_by_us' | 'logged_out' | null = null;
  private qrShown = false;
  private paired = false;
  private pairingAsked = false;
  private finishing = false;
  private redeliveryAsked = false;
  private resolveClosed!: () => void;
  /** Settles once onClose has fired. */
  readonly closed: Promise<void>;

  constructor(parts: SessionParts) {
    this.parts = parts;
    this.deviceId = parts.deviceId;
    this.socket = parts.socket;
    this.auth = parts.auth;
    this.events = parts.events;
    this.logger = parts.logger;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const groups = parts.groups ?? new GroupMetadataCache();
    groups.attach(this.socket);
    const restrictions = new RestrictionWatch(this.socket, this.events, this.logger);
    this.messaging = new SessionMessaging(this.socket, this.events, this.logger, parts.ackTimeoutMs, () => this.reconnectForRedelivery(), groups, restrictions);
    const identities = new GroupIdentities(() => this.socket.user);
    this.groups = new BaileysGroups(this.socket, identities);
    listenToGroupEvents(this.socket, identities, (event) => this.events.onGroupEvent?.(event), this.logger);
    this.socket.ev.on('creds.update', () => this.auth.saveCreds());
    this.socket.ev.on('connection.update', (update) => this.onConnectionUpdate(update));
  }

  get phase(): SessionPhase {
    return this.phaseNow;
  }

  get isOpen(): boolean {
    return this.phaseNow === 'open' && !this.finishing;
  }

  async send(message: OutboundMessage, written?: () => void): Promise<SendResult> {
    if (!this.isOpen) throw new SendError('the device is not connected', false);
    return this.messaging.send(message, written);
  }

  prepare(message: OutboundMessage): void {
    if (this.isOpen) this.messaging.prepare(message);
  }

  async markRead(refs: MessageRef[]): Promise<void> {
    this.requireOpen();
    await this.messaging.markRead(refs);
  }

  async checkNumbers(phones: string[]): Promise<NumberCheck[]> {
    this.requireOpen();
    return this.messaging.checkNumbers(phones);
  }

  async sendPresence(state: PresenceState, chatJid?: string): Promise<void> {
    this.requireOpen();
    await this.messaging.sendPresence(state, chatJid);
  }

  async reuploadMedia(ref: MessageRef, download: MediaDownload): Promise<string> {
    this.requireOpen();
    return this.messaging.reuploadMedia(ref, download);
  }

  private requireOpen(): void {
    if (!this.isOpen) throw new SessionClosedError(this.deviceId);
  }

  async stop(): Promise<void> {
    if (this.finishing) return this.closed;
    this.requested ??= 'closed_by_us';
    await this.endSocket();
  }

  async logout(): Promise<void> {
    if (this.finishing) throw new SessionClosedError(this.deviceId);
    this.requested = 'logged_out';
    if (this.phaseNow === 'open') {
      try {
        // tells WhatsApp to remove this companion, then closes (Baileys reports 401)
        await this.socket.logout();
      } catch (err) {
        this.logger.warn({ err }, 'logout: WhatsApp could not be told; closing locally');
      }
    } else if (isLinked(this.auth.creds)) {
      // not logged in on this socket yet: nothing can be sent; the companion stays listed on the phone
      this.logger.warn('logout while not connected: WhatsApp was not told; the session is dropped locally');
    }
    // never linked (QR or pairing code showing): nothing to unlink
    await this.endSocket();
  }

  private async endSocket(): Promise<void> {
    await this.socket.end(undefined).catch((err: unknown) => this.logger.warn({ err }, 'ending the socket failed'));
    // Baileys reports the close through connection.update; never wait on it forever
    const grace = setTimeout(() => void this.finish(undefined), CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(grace);
  }

  /**
   * WhatsApp delivers what it got no receipt for again at the next login: close the socket
   * (a transient close, so the supervisor reconnects with backoff) once the NACK went out.
   */
  private reconnectForRedelivery(): void {
    if (this.redeliveryAsked || this.finishing) return;
    this.redeliveryAsked = true;
    this.logger.warn('a received message could not be kept: reconnecting so that WhatsApp delivers it again');
    setTimeout(() => {
      if (!this.finishing) void this.socket.end(new Error('reconnecting: a received message could not be stored')).catch(() => undefined);
    }, REDELIVERY_CLOSE_DELAY_MS).unref();
  }

  private onConnectionUpdate(update: Partial<ConnectionState>): void {
    if (this.finishing) return;
    if (update.isNewLogin) this.paired = true;
    if (update.qr) {
      this.qrShown = true;
      this.phaseNow = 'qr';
      this.emit('onQr', () => this.events.onQr(update.qr as string));
      if (this.parts.pairingPhone && !this.pairingAsked && !isLinked(this.auth.creds)) {
        this.pairingAsked = true;
        void this.askPairingCode(this.parts.pairingPhone);
      }
    }
    if (update.connection === 'open') {
      this.phaseNow = 'open';
      const account = this.account();
      if (account) this.emit('onOpen', () => this.events.onOpen(account));
      else void this.failOpen();
    }
    if (update.connection === 'close') void this.finish(update.lastDisconnect?.error);
  }

  private async askPairingCode(phone: string): Promise<void> {
    const result = await requestPairingCode(this.socket, phone, this.parts.queryTimeoutMs);
    if (this.finishing) return;
    if (result.ok) {
      this.emit('onPairingCode', () => this.events.onPairingCode(result.code));
      return;
    }
    this.logger.warn({ reason: result.reason }, 'pairing code refused; the QR code stays usable');
    // requestPairingCode set creds.me to the phone number: undo it, or a later start would
    // try to log in as a device that was never linked
    if (!isLinked(this.auth.creds)) {
      delete this.auth.creds.me;
      delete this.auth.creds.pairingCode;
      this.auth.saveCreds();
    }
  }

  /** The linked account from Baileys' creds.me (`id` is this device's JID). */
  account(): LinkedAccount | null {
    const me = this.socket.user;
    const decoded = me?.id ? jidDecode(me.id) : undefined;
    if (!me || !decoded?.user) return null;
    const lidUser = me.lid ? jidDecode(me.lid)?.user : undefined;
    return {
      jid: me.id,
      phone: decoded.user,
      lid: lidUser ? `${lidUser}@lid` : null,
      name: me.name && me.name !== '~' ? me.name : (me.notify ?? null),
    };
  }

  private async failOpen(): Promise<void> {
    this.logger.error('connection open without an account in creds.me; closing');
    await this.socket.end(new Error('open without an account')).catch(() => undefined);
  }

  /** Ends the session once: waits for the writes it requested, seals the store, reports. */
  private async finish(error: unknown): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    const { statusCode, message } = describeCloseError(error);
    const kind: DisconnectKind = classifyDisconnect({ statusCode, message, linking: this.qrShown && !this.paired, requested: this.requested });
    this.phaseNow = 'closed';
    this.messaging.close();
    try {
      await this.auth.flush();
    } finally {
      this.auth.seal();
      this.parts.onFinished(this);
      this.logger.debug({ kind, statusCode, message }, 'WhatsApp session closed');
      this.emit('onClose', () => this.events.onClose({ kind, statusCode, message }));
      this.resolveClosed();
    }
  }

  private emit(name: keyof SessionEvents, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.logger.error({ err, event: name }, 'a session event handler threw');
    }
  }
}
