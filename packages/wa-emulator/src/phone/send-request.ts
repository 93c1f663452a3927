import { BadRequestError } from '../errors.js';
import { LIMITS, type MediaKind } from '../model.js';
import type { OutgoingContent, OutgoingMedia } from './message-content.js';

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'voice', 'document', 'sticker'];

/** The body of POST /admin/accounts/:phone/messages, as the schema lets it through. */
export interface SendRequest {
  to: string;
  type?: 'text' | 'location' | 'contact' | 'poll' | MediaKind;
  text?: string;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contact?: { name: string; vcard: string };
  poll?: { name: string; options: string[]; selectable_count?: number };
  /** the file of an image, video, audio, voice, document or sticker message */
  media?: { data: string };
  mime_type?: string;
  /** image, video, document */
  caption?: string;
  /** document */
  filename?: string;
  /** image, video, voice */
  view_once?: boolean;
  /** video, audio, voice: the duration declared */
  seconds?: number;
  /** voice: 64 samples 0-100, base64 */
  waveform?: string;
  /** image, video: a small JPEG preview, base64 (else Baileys tries to make one, which needs sharp or jimp, ffmpeg for videos) */
  thumbnail?: string;
  quoted_id?: string;
  /** a quoted id sent as it is, not looked up (hostile-peer tests) */
  unchecked_quoted_id?: string;
  /** the message's own id, as given (hostile-peer tests) */
  unchecked_id?: string;
}

/** Which message a send quotes: one of the account's (looked up), or any id at all (unchecked). */
export type QuoteRequest = { id: string; unchecked: boolean } | undefined;

export function quoteOf(req: SendRequest): QuoteRequest {
  if (req.quoted_id !== undefined && req.unchecked_quoted_id !== undefined)
    throw new BadRequestError('invalid_message', 'quoted_id and unchecked_quoted_id exclude each other');
  if (req.unchecked_quoted_id !== undefined) return { id: req.unchecked_quoted_id, unchecked: true };
  return req.quoted_id !== undefined ? { id: req.quoted_id, unchecked: false } : undefined;
}

const CONTENT_FIELDS = ['text', 'location', 'contact', 'poll', 'media'] as const;

/** The media fields each kind takes (besides `media`). */
const MEDIA_FIELDS: Record<MediaKind, ReadonlyArray<keyof SendRequest>> = {
  image: ['mime_type', 'caption', 'view_once', 'thumbnail'],
  video: ['mime_type', 'caption', 'view_once', 'seconds', 'thumbnail'],
  audio: ['mime_type', 'seconds'],
  voice: ['mime_type', 'view_once', 'seconds', 'waveform'],
  document: ['mime_type', 'caption', 'filename'],
  sticker: ['mime_type'],
};
const ALL_MEDIA_FIELDS = [...new Set(Object.values(MEDIA_FIELDS).flat())];

/** What the phone sends for a request: the field named by `type` (default text), and no other. */
export function outgoingContent(req: SendRequest): OutgoingContent {
  const type = req.type ?? 'text';
  const contentField = (MEDIA_KINDS as readonly string[]).includes(type) ? 'media' : type;
  const extra = CONTENT_FIELDS.filter((f) => f !== contentField && req[f] !== undefined);
  const allowed: ReadonlyArray<keyof SendRequest> = contentField === 'media' ? MEDIA_FIELDS[type as MediaKind] : [];
  extra.push(...(ALL_MEDIA_FIELDS.filter((f) => !allowed.includes(f) && req[f] !== undefined) as never[]));
  if (extra.length > 0) throw new BadRequestError('invalid_message', `a ${type} message takes no ${extra.join(', ')}`);
  if (contentField === 'media') return { type: type as MediaKind, media: mediaOf(type as MediaKind, req) };
  switch (type) {
    case 'text':
      if (req.text === undefined) throw new BadRequestError('invalid_message', 'a text message needs text');
      return { type, text: req.text };
    case 'location':
      if (!req.location) throw new BadRequestError('invalid_message', 'a location message needs location: {latitude, longitude, name?, address?}');
      return { type, location: req.location };
    case 'contact':
      if (!req.contact) throw new BadRequestError('invalid_message', 'a contact message needs contact: {name, vcard}');
      return { type, contact: req.contact };
    case 'poll': {
      const poll = req.poll;
      if (!poll) throw new BadRequestError('invalid_message', 'a poll message needs poll: {name, options, selectable_count?}');
      if (new Set(poll.options).size !== poll.options.length) throw new BadRequestError('invalid_poll', 'poll options must be distinct');
      const selectableCount = poll.selectable_count ?? 1;
      if (selectableCount > poll.options.length)
        throw new BadRequestError('invalid_poll', `selectable_count ${selectableCount} is more than the ${poll.options.length} options`);
      return { type, poll: { name: poll.name, options: poll.options, selectableCount } };
    }
    default:
      throw new BadRequestError('invalid_message', `unknown message type ${String(type)}`);
  }
}

function mediaOf(type: MediaKind, req: SendRequest): OutgoingMedia {
  if (!req.media) throw new BadRequestError('invalid_message', `a ${type} message needs media: {data: "<base64>"}`);
  const bytes = base64(req.media.data, 'media.data');
  if (bytes.length === 0) throw new BadRequestError('invalid_message', 'media.data is empty');
  if (bytes.length > LIMITS.sendMediaBytes) throw new BadRequestError('media_too_large', `media over ${LIMITS.sendMediaBytes} bytes`);
  const media: OutgoingMedia = { bytes };
  if (req.mime_type !== undefined) media.mimeType = req.mime_type;
  if (req.caption !== undefined) media.caption = req.caption;
  if (req.filename !== undefined) media.fileName = req.filename;
  if (req.view_once) media.viewOnce = true;
  if (req.seconds !== undefined) media.seconds = req.seconds;
  if (req.waveform !== undefined) media.waveform = base64(req.waveform, 'waveform');
  if (req.thumbnail !== undefined) media.thumbnail = base64(req.thumbnail, 'thumbnail');
  return media;
}

/** Strict base64 (standard or URL alphabet, padding optional): Buffer.from would skip what is not. */
function base64(text: string, field: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1)
    throw new BadRequestError('invalid_message', `${field} is not base64`);
  return Buffer.from(text, 'base64');
}
