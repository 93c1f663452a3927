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

/** Media metadata; the content itself comes with the media issue. */
export interface MediaContent {
  type: MediaType;
  mimetype: string | null;
  caption?: string | undefined;
  file_name?: string | undefined;
  size?: number | undefined;
  seconds?: number | undefined;
  voice_note?: boolean | undefined;
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
}

/** What the outbound queue hands the provider to send. */
export interface OutboundMessage {
  chatJid: string;
  /** assigned before the first attempt: a resend carries the same id */
  waId: string;
  content: TextContent | LocationContent | ContactContent | PollContent | ReactionContent | EditContent | DeleteContent;
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
}

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
