/**
 * WUTS's own view of a WhatsApp connection. Everything outside src/whatsapp/baileys/ talks to
 * WhatsApp through these types only, so the library behind them can change.
 */

import type { DeviceGroups, GroupEvent } from './groups.js';
import type {
  IdentityPair,
  InboundMessage,
  MediaDownload,
  MessageContent,
  MessageRef,
  NumberCheck,
  OutboundMessage,
  ParticipantReceipt,
  PresenceState,
  SendResult,
  StatusUpdate,
} from './messages.js';
import type { RestrictionReport } from './restrictions.js';

/** Why a connection closed, in the terms the device supervisor acts on. */
export type DisconnectKind =
  /** 515: reconnect at once with the same session (after linking, for example). */
  | 'restart_required'
  /** 401: the device was unlinked; the session is void. */
  | 'logged_out'
  /** 403: WhatsApp refuses this account or device. */
  | 'forbidden'
  /** 440: another connection took the session; do not fight for it. */
  | 'connection_replaced'
  /** The QR codes ran out before anyone scanned one (a 408 while linking). */
  | 'qr_expired'
  /** 411: the session no longer matches; the device must be linked again. */
  | 'bad_session'
  /** 405: this client version is refused. */
  | 'client_outdated'
  /** We closed it (stop() or logout()). */
  | 'closed_by_us'
  /** 408, 428, 500, 503, network errors: reconnect with backoff. */
  | 'transient';

export interface LinkedAccount {
  /** The device's own JID, e.g. `15550001111:3@s.whatsapp.net`. */
  jid: string;
  /** The account's phone number in digits. */
  phone: string;
  /** The account's LID (`123456789@lid`), when WhatsApp gave one. */
  lid: string | null;
  /** The account's display name, when known. */
  name: string | null;
}

export interface SessionEvents {
  /** A new QR code text to show (each one expires after a while and the next follows). */
  onQr(qr: string): void;
  /** The pairing code to type on the phone, when a phone number was given. */
  onPairingCode(code: string): void;
  /** The socket is open and logged in. */
  onOpen(account: LinkedAccount): void;
  /** The socket closed; the session object is finished (start a new one to reconnect). */
  onClose(close: { kind: DisconnectKind; statusCode: number | null; message: string }): void;
  /**
   * Messages received (or sent by the account from its other devices), in arrival order.
   * The provider waits for the returned promise before it hands over the next batch.
   */
  onMessages?(messages: InboundMessage[]): Promise<void>;
  /**
   * Keeps one received message before WhatsApp is told it arrived (its delivery receipt).
   * Resolves once it is kept; rejects when it could not be, and WhatsApp then gets no receipt
   * and delivers it again. Called one message at a time, in arrival order. Messages kept here
   * are not handed to onMessages again.
   */
  keepMessage?(message: InboundMessage): Promise<void>;
  /** Receipts: a sent message reached the server, the recipient's phone, or was read. */
  onStatuses?(updates: StatusUpdate[]): void;
  /**
   * Keeps the statuses a receipt carries before WhatsApp's receipt is acknowledged; rejects to
   * leave it unacknowledged (WhatsApp then delivers it again). Statuses kept here are not
   * handed to onStatuses again.
   */
  keepStatuses?(updates: StatusUpdate[]): Promise<void>;
  /** A contact is typing, recording or online. */
  onPresence?(presence: { chatJid: string; participantJid: string; state: PresenceState }): void;
  /** The stored content of a message (to answer a retry request or to read a poll's votes). */
  lookupMessage?(ref: MessageRef): Promise<MessageContent | undefined>;

  // --- groups (src/whatsapp/groups.ts) ---
  /** A group was created with the account in it, changed, gained or lost participants, or got a join request. */
  onGroupEvent?(event: GroupEvent): void;

  /* ---- Groups and identities (issue 13, group messages) ---- */
  /**
   * WhatsApp told which LID is which phone number (mapping events, contact sync, a message
   * naming both). Called before the messages that taught it are handed over.
   */
  onIdentities?(pairs: IdentityPair[]): Promise<void>;
  /** Participants' delivery and read receipts for group messages this device sent. */
  onParticipantReceipts?(receipts: ParticipantReceipt[]): void;
  /** A group's subject, as the session learned it (the group's chat is named by it). */
  onGroupSubject?(chatJid: string, subject: string): void;

  /** WhatsApp restricted the account (a reach-out time-lock, the new-chat cap) or lifted it; also re-read at each login. */
  onRestriction?(report: RestrictionReport): void;
}

/**
 * Where a device's WhatsApp session (creds and Signal keys) lives: the database, per device.
 * Values are opaque JSON strings; writes of one device are applied in order, each call in
 * one transaction.
 */
export interface SessionStore {
  readCreds(): Promise<string | null>;
  writeCreds(json: string): Promise<void>;
  readKeys(type: string, ids: string[]): Promise<Map<string, string>>;
  /** `value: null` deletes the key. */
  writeKeys(entries: { type: string; id: string; value: string | null }[]): Promise<void>;
  /** Removes the whole session (after a logout). */
  clear(): Promise<void>;
}

export interface StartOptions {
  deviceId: string;
  store: SessionStore;
  events: SessionEvents;
  /** Link by pairing code for this phone number (digits) instead of a QR code. */
  pairingPhone?: string;
}

export interface DeviceSession {
  readonly deviceId: string;
  /** Closes the socket; the session stays valid for a later start. onClose fires with `closed_by_us`. */
  stop(): Promise<void>;
  /** Unlinks the device from the account, then closes; onClose fires with `logged_out`. */
  logout(): Promise<void>;
  /** Whether the session is logged in now (sending needs it). */
  readonly isOpen: boolean;
  /**
   * Sends one message with the id it carries; resolves when the server acknowledged it.
   * Throws SendError (permanent or not); a retry with the same id shows one message. Answers
   * what the send learned (the recipient's LID; a group's subject and participant count).
   * `written` is called once the message was handed to the connection, before the ack: a
   * message sent after that goes out after this one.
   */
  send(message: OutboundMessage, written?: () => void): Promise<SendResult | void>;
  /**
   * Starts getting a media message ready (its file encrypted and uploaded) before its turn, so
   * that its send() only relays it. Best effort: what fails here, send() does again.
   */
  prepare?(message: OutboundMessage): void;
  /** Sends read receipts for received messages. */
  markRead(refs: MessageRef[]): Promise<void>;
  /** Which phone numbers (digits) are on WhatsApp. */
  checkNumbers(phones: string[]): Promise<NumberCheck[]>;
  /** Typing, recording or paused to a chat; available or unavailable for the account. */
  sendPresence(state: PresenceState, chatJid?: string): Promise<void>;
  /** Asks the sender's phone to upload a received file again; answers its new direct path. */
  reuploadMedia(ref: MessageRef, download: MediaDownload): Promise<string>;

  // --- groups (src/whatsapp/groups.ts) ---
  /** Group operations through this session (they need it open). */
  readonly groups: DeviceGroups;
}

export interface WhatsAppProvider {
  /** Opens a connection for the device; events then flow through `events`. */
  start(options: StartOptions): Promise<DeviceSession>;
  /** Releases what the provider holds (for shutdown). */
  close(): Promise<void>;
}
