import { getContentType, normalizeMessageContent, proto } from '../baileys.js';
import { LIMITS, type MediaInfo, type MediaKind, type MessageBody } from '../model.js';

/** The file of a media message the admin API asks the phone to send. */
export interface OutgoingMedia {
  bytes: Buffer;
  mimeType?: string;
  caption?: string;
  fileName?: string;
  viewOnce?: boolean;
  seconds?: number;
  waveform?: Buffer;
  thumbnail?: Buffer;
}

/** What the admin API asks the phone to send. */
export type OutgoingContent =
  | { type: 'text'; text: string }
  | { type: 'location'; location: { latitude: number; longitude: number; name?: string; address?: string } }
  | { type: 'contact'; contact: { name: string; vcard: string } }
  | { type: 'poll'; poll: { name: string; options: string[]; selectableCount: number } }
  | { type: MediaKind; media: OutgoingMedia };

/** The fields of a stored record that describe its content (everything a revoke clears). */
export type ContentFields = Pick<
  MessageBody,
  'type' | 'text' | 'location' | 'contact' | 'poll' | 'media' | 'quotedId' | 'mentions' | 'mentionAll' | 'targetId' | 'pollSecret' | 'content'
>;

/** The proto field of each media kind (a voice message is an audioMessage with ptt). */
const MEDIA_PROTO_KEYS = ['imageMessage', 'videoMessage', 'ptvMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const;
type MediaProtoKey = (typeof MEDIA_PROTO_KEYS)[number];

/** Default mime types, as Baileys (and WhatsApp) use them; a voice message is OGG/Opus. */
const DEFAULT_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  voice: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

const TYPE_NAMES: Partial<Record<keyof proto.IMessage, string>> = {
  conversation: 'text',
  extendedTextMessage: 'text',
  locationMessage: 'location',
  contactMessage: 'contact',
  pollCreationMessage: 'poll',
  pollCreationMessageV2: 'poll',
  pollCreationMessageV3: 'poll',
  reactionMessage: 'reaction',
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};

/** Baileys' content for `sock.sendMessage`, mentioning `mentions` (jids) when given; a poll carries the secret its votes will be encrypted with. */
export function toBaileysContent(out: OutgoingContent, pollSecret: Uint8Array, mentions?: string[]) {
  const content = baileysContent(out, pollSecret);
  return mentions && mentions.length > 0 ? { ...content, mentions } : content;
}

function baileysContent(out: OutgoingContent, pollSecret: Uint8Array) {
  switch (out.type) {
    case 'text':
      return { text: out.text };
    case 'location': {
      const { latitude, longitude, name, address } = out.location;
      return { location: { degreesLatitude: latitude, degreesLongitude: longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) } };
    }
    case 'contact':
      return { contacts: { displayName: out.contact.name, contacts: [{ displayName: out.contact.name, vcard: out.contact.vcard }] } };
    case 'poll':
      return { poll: { name: out.poll.name, values: out.poll.options, selectableCount: out.poll.selectableCount, messageSecret: pollSecret } };
    default:
      return mediaContent(out.type, out.media);
  }
}

/**
 * Baileys' content for a media message. Baileys encrypts and uploads the bytes (mediaKey,
 * fileSha256, fileEncSha256, directPath, url); `seconds` and a thumbnail given here spare it
 * from computing them (music-metadata, sharp or jimp, ffmpeg), which it otherwise tries and may skip.
 */
function mediaContent(type: MediaKind, m: OutgoingMedia) {
  const mimetype = m.mimeType ?? DEFAULT_MIME[type];
  const common = {
    mimetype,
    ...(m.seconds === undefined ? {} : { seconds: m.seconds }),
    ...(m.viewOnce ? { viewOnce: true } : {}),
    ...(m.thumbnail ? { jpegThumbnail: m.thumbnail.toString('base64') } : {}),
  };
  switch (type) {
    case 'image':
      return { image: m.bytes, ...common, ...(m.caption ? { caption: m.caption } : {}) };
    case 'video':
      return { video: m.bytes, ...common, ...(m.caption ? { caption: m.caption } : {}) };
    case 'audio':
      return { audio: m.bytes, ...common, ptt: false };
    case 'voice':
      return { audio: m.bytes, ...common, ptt: true, ...(m.waveform ? { waveform: m.waveform } : {}) };
    case 'document':
      return { document: m.bytes, ...common, fileName: m.fileName ?? 'file', ...(m.caption ? { caption: m.caption } : {}) };
    case 'sticker':
      return { sticker: m.bytes, ...common };
  }
}

/** The content kind of a proto message, its inner content unwrapped (ephemeral, view once, ...). */
export function contentKind(message: proto.IMessage | null | undefined): { key: keyof proto.IMessage | undefined; inner: proto.IMessage | undefined } {
  const inner = normalizeMessageContent(message);
  return { key: getContentType(inner), inner };
}

/** Reads what a stored record shows from a proto message, bounded; `phoneOf` names the users a message mentions (jids) by phone number. */
export function describeContent(message: proto.IMessage, phoneOf: (jid: string) => string = (jid) => jid.split(/[@:]/)[0]!): ContentFields {
  const { key, inner } = contentKind(message);
  const fields: ContentFields = { type: key ? (TYPE_NAMES[key] ?? key) : 'unknown', text: clip(textOf(inner), LIMITS.storedTextChars) };
  const media = key && (MEDIA_PROTO_KEYS as readonly string[]).includes(key) ? describeMedia(message, key as MediaProtoKey, inner!) : undefined;
  if (media) {
    fields.media = media;
    if (media.ptt) fields.type = 'voice';
  }
  if (inner?.locationMessage) {
    const l = inner.locationMessage;
    fields.location = { latitude: l.degreesLatitude ?? 0, longitude: l.degreesLongitude ?? 0 };
    if (l.name) fields.location.name = clip(l.name, LIMITS.labelChars)!;
    if (l.address) fields.location.address = clip(l.address, LIMITS.labelChars)!;
  }
  if (inner?.contactMessage) {
    fields.contact = {
      name: clip(inner.contactMessage.displayName ?? '', LIMITS.labelChars)!,
      vcard: clip(inner.contactMessage.vcard ?? '', LIMITS.vcardChars)!,
    };
  }
  const poll = inner?.pollCreationMessage ?? inner?.pollCreationMessageV2 ?? inner?.pollCreationMessageV3;
  if (poll) {
    fields.poll = {
      name: clip(poll.name ?? '', LIMITS.pollNameChars)!,
      options: (poll.options ?? []).slice(0, LIMITS.pollOptions).map((o) => clip(o.optionName ?? '', LIMITS.pollOptionChars)!),
      selectableCount: poll.selectableOptionsCount ?? 0,
    };
    const secret = message.messageContextInfo?.messageSecret ?? inner?.messageContextInfo?.messageSecret;
    if (secret?.length) fields.pollSecret = Buffer.from(secret);
  }
  if (inner?.reactionMessage?.key?.id) fields.targetId = clip(inner.reactionMessage.key.id, LIMITS.messageIdChars)!;
  const context = key ? contextInfoOf(inner?.[key]) : undefined;
  const quotedId = context?.stanzaId;
  if (quotedId) fields.quotedId = clip(quotedId, LIMITS.messageIdChars)!;
  const mentioned = (context?.mentionedJid ?? []).filter((j) => typeof j === 'string' && j.length > 0);
  if (mentioned.length > 0) fields.mentions = mentioned.slice(0, LIMITS.mentions).map((j) => clip(phoneOf(j), LIMITS.labelChars)!);
  if (context?.nonJidMentions) fields.mentionAll = true;
  const encoded = proto.Message.encode(message).finish();
  if (encoded.length <= LIMITS.storedContentBytes) fields.content = Buffer.from(encoded).toString('base64');
  return fields;
}

/** The fields media protos (image, video, audio, document, sticker) have in common, or some of them. */
interface MediaProtoFields {
  mimetype?: string | null;
  /** a number, or a protobuf Long */
  fileLength?: unknown;
  fileSha256?: Uint8Array | null;
  fileName?: string | null;
  caption?: string | null;
  ptt?: boolean | null;
  seconds?: number | null;
  viewOnce?: boolean | null;
  directPath?: string | null;
  jpegThumbnail?: Uint8Array | null;
  waveform?: Uint8Array | null;
  width?: number | null;
  height?: number | null;
}

/** What a media message declares of its file (what the phone learns when it downloads comes later). */
function describeMedia(message: proto.IMessage, key: MediaProtoKey, inner: proto.IMessage): MediaInfo | undefined {
  const m = inner[key] as MediaProtoFields | null | undefined;
  if (!m) return undefined;
  const viewOnce = !!(message.viewOnceMessage ?? message.viewOnceMessageV2 ?? message.viewOnceMessageV2Extension) || m.viewOnce === true;
  const info: MediaInfo = { mimeType: clip(m.mimetype ?? null, LIMITS.labelChars), size: Number(m.fileLength ?? 0), state: 'downloading' };
  if (m.fileSha256?.length) info.fileSha256 = Buffer.from(m.fileSha256).toString('hex');
  if (m.fileName) info.fileName = clip(m.fileName, LIMITS.labelChars)!;
  if (m.caption) info.caption = clip(m.caption, LIMITS.mediaCaptionChars)!;
  if (key === 'audioMessage') info.ptt = m.ptt === true;
  if (typeof m.seconds === 'number') info.seconds = m.seconds;
  if (viewOnce) info.viewOnce = true;
  if (m.directPath) info.directPath = clip(m.directPath, LIMITS.labelChars)!;
  if (m.jpegThumbnail?.length) info.thumbnailBytes = m.jpegThumbnail.length;
  if (m.waveform?.length) info.waveform = Buffer.from(m.waveform).toString('base64');
  if (m.width && m.height) info.dimensions = { width: m.width, height: m.height };
  return info;
}

/** The stored proto content, or a text stand-in when it was too large to keep. */
export function storedContent(record: MessageBody): proto.IMessage {
  if (record.content) return proto.Message.decode(Buffer.from(record.content, 'base64'));
  return { conversation: record.text ?? '' };
}

export function textOf(m: proto.IMessage | undefined): string | null {
  if (!m) return null;
  return (
    m.conversation ??
    m.extendedTextMessage?.text ??
    m.imageMessage?.caption ??
    m.videoMessage?.caption ??
    m.documentMessage?.caption ??
    (m.reactionMessage ? clip(m.reactionMessage.text ?? '', LIMITS.emojiChars) : undefined) ??
    null
  );
}

function contextInfoOf(content: unknown): proto.IContextInfo | undefined {
  if (typeof content !== 'object' || content === null || !('contextInfo' in content)) return undefined;
  return (content as { contextInfo?: proto.IContextInfo | null }).contextInfo ?? undefined;
}

export function clip(text: string | null, max: number): string | null {
  return text !== null && text.length > max ? text.slice(0, max) : text;
}
