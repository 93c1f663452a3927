import type { Readable } from 'node:stream';

/**
 * Messages in WUTS's own terms, shared by the provider and the rest of the code. Content
 * shapes are stored as JSON (messages.content_json) and shown by the API, so changes keep
 * old rows readable: add fields, never change the meaning of one.
 */

export interface TextContent {
  type: 'text';
  text: string;
  /** whether a preview of the first URL was asked for */
  link_preview?: boolean | undefined;
  /** users the text mentions (groups) */
  mentions?: Party[] | undefined;
  /** the text mentions everyone in the group (WhatsApp's @all) */
  mention_all?: boolean | undefined;
}

export interface LinkPreview {
  url: string;
  title: string;
  description?: string | undefined;
}

export interface LocationContent {
  type: 'location';
  latitude: number;
  longitude: number;
  name?: string | undefined;
  address?: string | undefined;
}

export interface ContactContent {
  type: 'contact';
  name: string;
  vcard: string;
}

export interface PollContent {
  type: 'poll';
  name: string;
  options: string[];
  selectable_count: number;
  /** hex of the 32-byte secret votes are encrypted with; never shown by the API */
  secret?: string | undefined;
}

export interface ReactionContent {
  type: 'reaction';
  /** empty: the reaction is removed */
  emoji: string;
}

export interface EditContent {
  type: 'edit';
  text: string;
}

export interface DeleteContent {
  type: 'delete';
}

export interface PollVoteContent {
  type: 'poll_vote';
  /** the names of the options chosen (empty: the vote was withdrawn) */
  options: string[];
}

export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/**
 * A media message. The bytes are in WUTS's media store (`media_id`, a media_files row); rows
 * stored before media were kept have metadata only.
 */
export interface MediaContent {
  type: MediaType;
  mimetype: string | null;
  caption?: string | undefined;
  file_name?: string | undefined;
  /** bytes of the plain file */
  size?: number | undefined;
  /** duration (audio and video) */
  seconds?: number | undefined;
  /** an audio sent as a voice note (push to talk) */
  voice_note?: boolean | undefined;
  /** the media file in WUTS's store */
  media_id?: string | undefined;
  /** SHA-256 of the plain file, hex */
  sha256?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
  /** shown once by the recipient, then gone */
  view_once?: boolean | undefined;
  /** a voice note's waveform as WhatsApp shows it: 64 values 0-100, base64 */
  waveform?: string | undefined;
  /** the file in WUTS's store: stored, or (received media) pending while it downloads, or failed */
  state?: 'stored' | 'pending' | 'failed' | undefined;
  /** users the caption mentions (groups) */
  mentions?: Party[] | undefined;
  /** the caption mentions everyone in the group */
  mention_all?: boolean | undefined;
}

/** Where WhatsApp keeps a received media file, and the keys to decrypt it (all base64 but the paths). */
export interface MediaDownload {
  mediaType: MediaType;
  directPath: string | null;
  url: string | null;
  mediaKey: string;
  fileEncSha256: string | null;
  fileSha256: string | null;
  fileLength: number | null;
}

/** Any other kind of message WhatsApp sends: stored with its kind's name, no content. */
export interface UnsupportedContent {
  type: 'unsupported';
  wa_type: string;
}

export type MessageContent =
  | TextContent
  | LocationContent
  | ContactContent
  | PollContent
  | ReactionContent
  | EditContent
  | DeleteContent
  | PollVoteContent
  | MediaContent
  | UnsupportedContent;

export type MessageType = MessageContent['type'];

/** Which WhatsApp message something points at (a reply's quote, a reaction's target). */
export interface MessageRef {
  chatJid: string;
  waId: string;
  fromMe: boolean;
  /** who sent it, for messages not from this device's account */
  senderJid: string | null;
  /** the sender's LID when known (a LID-addressed group names its members by LID) */
  senderLid?: string | null | undefined;
}

/** What the outbound queue hands the provider to send. */
export interface OutboundMessage {
  chatJid: string;
  /** assigned before the first attempt: a resend carries the same id */
  waId: string;
  content: TextContent | LocationContent | ContactContent | PollContent | ReactionContent | EditContent | DeleteContent | MediaContent;
  /** a media message: opens its file (from WUTS's media store) to upload it */
  openMedia?: (() => Promise<Readable>) | undefined;
  /** a reply: the message quoted and its content */
  quoted?: { ref: MessageRef; content: MessageContent } | undefined;
  /** what a reaction, edit or delete applies to */
  target?: MessageRef | undefined;
  /** the preview of a text's first URL, fetched by WUTS (Baileys would fetch it itself otherwise) */
  linkPreview?: LinkPreview | undefined;
}

/** A message the device received (or one its account sent from another device). */
export interface InboundMessage {
  chatJid: string;
  waId: string;
  fromMe: boolean;
  senderJid: string | null;
  /** the sender's profile name, when WhatsApp sent one */
  pushName: string | null;
  /** when WhatsApp says it was sent (RFC 3339) */
  timestamp: string;
  content: MessageContent;
  quotedWaId: string | null;
  /** for reactions, edits, deletes and poll votes: the message they apply to */
  targetWaId: string | null;
  /** whether it arrived while the device was offline (delivered at reconnect) */
  offline: boolean;
  /** the message came already edited (its edit arrived in the same batch): `content` is the edited one */
  editedBeforeReceived?: boolean | undefined;
  /** a media message: where to download its file */
  download?: MediaDownload | undefined;
  /** the sender's LID when known (`senderJid` is its phone-number JID when that is known) */
  senderLid?: string | null | undefined;
  /** a one-to-one chat: the peer's LID when known */
  chatLid?: string | null | undefined;
  /** a group chat: its subject, when the session knows it */
  chatName?: string | null | undefined;
}

/* ---- Groups and identities (issue 13, group messages) ---- */

/**
 * A WhatsApp user: the JID WUTS keys it by (the phone-number JID once known, else the LID) and
 * both addressings when known (`phone` in digits, `lid` as `digits@lid`).
 */
export interface Party {
  jid: string;
  phone: string | null;
  lid: string | null;
}

/** A LID and the phone number it stands for, as WhatsApp told it. */
export interface IdentityPair {
  /** `digits@lid` */
  lid: string;
  /** digits */
  phone: string;
}

/** One participant's receipt for a group message this device sent. */
export interface ParticipantReceipt {
  chatJid: string;
  waId: string;
  /** the participant: its phone-number JID when known, else its LID */
  participantJid: string;
  participantLid?: string | null | undefined;
  status: 'delivered' | 'read';
  /** RFC 3339 */
  at: string;
}

/** What a send learned: the recipient's LID, and for a group its subject and how many other participants it went to. */
export interface SendResult {
  recipientLid?: string | null | undefined;
  recipients?: number | undefined;
  chatName?: string | null | undefined;
}

/* ---- end of groups and identities ---- */

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusUpdate {
  chatJid: string;
  waId: string;
  status: DeliveryStatus;
  reason?: string | undefined;
}

export type PresenceState = 'available' | 'unavailable' | 'typing' | 'recording' | 'paused';

export interface NumberCheck {
  /** the number asked about, in digits */
  phone: string;
  on_whatsapp: boolean;
  jid: string | null;
  /** the number's LID, when WhatsApp told it */
  lid?: string | null | undefined;
}

/** A send that failed; `permanent` ones are not retried. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'SendError';
  }
}
