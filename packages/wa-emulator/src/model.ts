import type { BinaryNode } from './baileys.js';

/** A Curve25519 key pair, as Baileys' Curve makes them. */
export interface KeyPair {
  public: Uint8Array;
  private: Uint8Array;
}

/** Everything the emulator persists. Buffers survive JSON through Baileys' BufferJSON. */
export interface EmulatorState {
  version: 1;
  serverStatic: KeyPair;
  certRoot: KeyPair;
  accounts: Record<string, AccountRecord>;
  /** the media host's certificate, upload token and port, kept so that clients' trust and media URLs outlive a restart */
  media?: MediaState;
  /** groups by id (the user part of the group jid, `<digits>` of `<digits>@g.us`) */
  groups?: Record<string, GroupRecord>;
}

export type GroupRole = 'superadmin' | 'admin' | 'member';

export interface GroupParticipant {
  /** the member account's phone number */
  phone: string;
  /** superadmin: the creator; admin; member */
  role: GroupRole;
  joinedAt: string;
}

/** Someone who asked to join a group whose join approval mode is on, by its invite link. */
export interface GroupJoinRequest {
  phone: string;
  /** unix seconds */
  at: number;
  method: 'invite_link';
}

/** A group as the server keeps it; the jid is `${id}@g.us`. */
export interface GroupRecord {
  id: string;
  subject: string;
  /** phone of who last set the subject, and when (unix seconds) */
  subjectOwner: string;
  subjectTime: number;
  description?: { id: string; text: string; owner: string; time: number };
  /** phone of the creator */
  owner: string;
  /** unix seconds */
  creation: number;
  /** how the group names its members on the wire: LIDs (as WhatsApp's new groups) or phone-number jids */
  addressingMode: 'pn' | 'lid';
  participants: GroupParticipant[];
  /** only admins send */
  announce: boolean;
  /** only admins change the subject, description and settings */
  locked: boolean;
  /** disappearing messages, seconds; 0 = off */
  ephemeral: number;
  memberAddMode: 'admin_add' | 'all_member_add';
  /** joining by invite link needs an admin's approval */
  joinApproval: boolean;
  inviteCode: string;
  requests: GroupJoinRequest[];
  /** the group's picture (w:profile:picture with a group target), as the client uploaded it */
  picture?: GroupPicture;
}

export interface GroupPicture {
  /** changes with every new picture, as WhatsApp's picture ids */
  id: string;
  jpeg: Buffer;
  /** phone of who set it, and when (unix seconds) */
  setBy: string;
  time: number;
}

/** Who may add the account to groups (WhatsApp's privacy setting "groupadd"). */
export type GroupAddPrivacy = 'everyone' | 'contacts' | 'nobody';

export interface AccountPrivacy {
  groupAdd: GroupAddPrivacy;
  /** phone numbers in the account's address book: who may add it when groupAdd is contacts */
  contacts: string[];
}

export interface MediaState {
  certPem: string;
  keyPem: string;
  auth: string;
  port: number;
}

export interface AccountRecord {
  phone: string;
  lid: string;
  name: string;
  /** the account's identity: signs the ADV identity of every linked device */
  identity: KeyPair;
  createdAt: string;
  nextDeviceId: number;
  nextKeyIndex: number;
  devices: Record<string, DeviceRecord>;
  /** auth state (creds and Signal keys) of the internal Baileys client acting as the phone */
  phoneAuth?: SerializedAuth;
  /**
   * Created with `start_phone: false`: its phone client is started at its first use (a send,
   * a read, a group action), not at creation nor when the emulator loads its state.
   */
  lazyPhone?: boolean;
  received: ReceivedMessage[];
  sent: SentMessage[];
  /** absent = everyone may add the account to groups */
  privacy?: AccountPrivacy;
  /**
   * The account keeps its phone number to itself (WhatsApp's username privacy): in LID-addressed
   * chats and groups its messages carry its LID only, without `sender_pn`/`participant_pn`.
   */
  hidesPhoneNumber?: boolean;
  /** WhatsApp's reach-out time-lock: while it holds, messages to users the account never chatted with are refused (463) */
  reachoutTimelock?: ReachoutTimelock;
  /** phone numbers of the accounts it exchanged one-to-one messages with (either way): its existing chats */
  chatsWith?: string[];
}

export interface ReachoutTimelock {
  /** unix seconds: when the lock ends by itself */
  until: number;
  /** WhatsApp's enforcement type (DEFAULT, BIZ_QUALITY, ...) */
  enforcementType: string;
}

export type DeviceKind = 'phone' | 'companion';

export interface DeviceRecord {
  id: number;
  kind: DeviceKind;
  keyIndex: number;
  platform: string;
  noiseKey: Uint8Array;
  identityKey: Uint8Array;
  registrationId: number;
  signedPreKey?: SignedPreKey;
  /** one-time pre-keys by id (public halves); consumed by bundle fetches */
  preKeys: Record<string, Uint8Array>;
  linkedAt: string;
  /** stanzas waiting for this device's ack or receipt (a NACK keeps them); sent again at its next login */
  queue: QueuedStanza[];
}

export interface SignedPreKey {
  id: number;
  public: Uint8Array;
  signature: Uint8Array;
}

export interface QueuedStanza {
  /** `${tag}|${id}|${from}`: what the client's <ack> names */
  key: string;
  node: BinaryNode;
  at: number;
  /** the `error` code of the last NACK the device answered it with (it stays queued for its next login) */
  nack?: string;
}

export interface SerializedAuth {
  creds: unknown;
  keys: Record<string, Record<string, unknown>>;
}

export interface GeoLocation {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

export interface ContactCard {
  name: string;
  vcard: string;
}

export interface PollSpec {
  name: string;
  options: string[];
  /** 0 = any number of options */
  selectableCount: number;
}

export interface Reaction {
  /** phone number of who reacted */
  from: string;
  emoji: string;
  at: string;
}

export interface PollVote {
  /** phone number of the voter */
  from: string;
  /** option names; empty = the vote was withdrawn */
  options: string[];
  at: string;
}

/** Media the admin API can send: image, video, audio, voice (push-to-talk audio), document, sticker. */
export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';

/**
 * A media message's file as a record shows it. The bytes are not in the record: the phone
 * keeps what it sent or decrypted in the media store (key: `sha256`).
 */
export interface MediaInfo {
  mimeType: string | null;
  /** bytes: decrypted (or sent) when known, else as the message declares (fileLength) */
  size: number;
  /** hex SHA-256 of the bytes the phone sent or decrypted */
  sha256?: string;
  /** hex fileSha256 as the message declares it */
  fileSha256?: string;
  fileName?: string;
  caption?: string;
  ptt?: boolean;
  seconds?: number;
  viewOnce?: boolean;
  /** where the encrypted blob is on the media host (the message's directPath) */
  directPath?: string;
  /** received: the size of the JPEG thumbnail the message carries (WhatsApp shows it before the download) */
  thumbnailBytes?: number;
  /** received voice notes: the waveform the message carries (base64 of its bars) */
  waveform?: string;
  /** received images and videos: the dimensions the message declares */
  dimensions?: { width: number; height: number };
  /** sent: `uploaded` (or `failed`); received: `downloading`, then `downloaded` or `failed` */
  state: 'uploaded' | 'downloading' | 'downloaded' | 'failed';
  error?: string;
}

/** What a stored message shows; received and sent records share it. */
export interface MessageBody {
  /** text, location, contact, poll, reaction, or the proto key name of anything else (imageMessage, ...) */
  type: string;
  /** the text, or the caption, or the emoji of a reaction; null when there is none */
  text: string | null;
  location?: GeoLocation;
  contact?: ContactCard;
  poll?: PollSpec;
  media?: MediaInfo;
  /** id of the message this one replies to */
  quotedId?: string;
  /** phone numbers the message mentions (contextInfo.mentionedJid) */
  mentions?: string[];
  /** the message mentions everyone in the group (contextInfo.nonJidMentions, WhatsApp's @all) */
  mentionAll?: boolean;
  /** id of the message a reaction points at, for a reaction whose target this account does not have */
  targetId?: string;
  edited?: boolean;
  deleted?: boolean;
  reactions?: Reaction[];
  votes?: PollVote[];
  /** the poll's messageContextInfo.messageSecret: the key of its votes */
  pollSecret?: Uint8Array;
  /** the whole proto.Message, base64: to quote it, and to answer retry receipts */
  content?: string;
}

export interface ReceivedMessage extends MessageBody {
  id: string;
  /** the sender's phone number (in a group: the member who sent it) */
  from: string;
  fromJid: string;
  /** a group message: the group's jid */
  group?: string;
  /** a group message: its sender as the group named it (the read receipt names it back) */
  participantJid?: string;
  timestamp: string;
  read: boolean;
  /** the chat key as the phone's client knows it, to send the read receipt */
  remoteJid: string;
}

export type SentStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

/** When one member of a group got (and read) a message the account sent to the group. */
export interface GroupReceipt {
  deliveredAt?: string;
  readAt?: string;
}

export interface SentMessage extends MessageBody {
  id: string;
  to: string;
  toJid: string;
  /** a group message: per member phone, from that member's receipts */
  receipts?: Record<string, GroupReceipt>;
  status: SentStatus;
  timestamp: string;
  updatedAt: string;
  error?: string;
}

/** Bounds on everything a client or an admin caller can make grow. */
export const LIMITS = {
  accounts: 10_000,
  devicesPerAccount: 8,
  queuePerDevice: 1_000,
  preKeysPerDevice: 2_000,
  storedMessagesPerAccount: 1_000,
  trafficEntries: 500,
  frameBytes: 4 * 1024 * 1024,
  httpBodyBytes: 64 * 1024,
  textChars: 4_096,
  /** text kept of a received message (WhatsApp itself allows 65,536 characters) */
  storedTextChars: 65_536,
  /** proto content kept per stored message, encoded; larger content (media thumbnails) is not kept */
  storedContentBytes: 64 * 1024,
  pollOptions: 12,
  pollOptionChars: 100,
  pollNameChars: 255,
  vcardChars: 8_192,
  /** location names and addresses, contact names */
  labelChars: 256,
  reactionsPerMessage: 50,
  emojiChars: 32,
  /** message ids (WhatsApp's are 16 to 32 characters) */
  messageIdChars: 128,
  votesPerPoll: 100,
  pairingRefs: 6,
  /** devices waiting for a pairing code to be typed, per account (the oldest goes first) */
  codePairingsPerAccount: 3,
  codePairingTtlMs: 3 * 60_000,
  /** wrong codes typed before the request is dropped */
  codePairingAttempts: 5,
  usyncUsers: 500,
  keyFetchUsers: 500,
  /** one upload to the media host */
  mediaUploadBytes: 200 * 1024 * 1024,
  /** all media blobs together (encrypted and decrypted) when the emulator has no state file: kept in memory */
  mediaMemoryBytes: 512 * 1024 * 1024,
  /** all media blobs together in the directory beside the state file */
  mediaDiskBytes: 4 * 1024 * 1024 * 1024,
  /** media sent through the admin API (base64 in JSON), decoded */
  sendMediaBytes: 64 * 1024 * 1024,
  /** a file name, mime type, or caption kept of a media message */
  mediaCaptionChars: 4_096,
  groups: 10_000,
  /** groups one account may be a member of */
  groupsPerAccount: 500,
  /** WhatsApp's own limit */
  groupParticipants: 1_024,
  groupSubjectChars: 100,
  groupDescriptionChars: 2_048,
  /** pending join requests kept per group (the oldest goes) */
  groupJoinRequests: 500,
  /** mentions kept of a message */
  mentions: 100,
  /** contacts an account keeps for its "who can add me to groups" privacy */
  contactsPerAccount: 5_000,
} as const;
