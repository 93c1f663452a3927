import { randomBytes } from 'node:crypto';
import type { Static } from 'typebox';
import { badRequest } from '../lib/errors.js';
import type { MediaContent, OutboundMessage, Party } from '../whatsapp/messages.js';
import { normalizeChatJid, normalizeUserJid } from './jids.js';
import type { SendMessageBody } from './schemas.js';
import type { MessageRow } from './view.js';

export type SendBody = Static<typeof SendMessageBody>;
type Field = Exclude<keyof SendBody, 'type'>;

/** The fields each type takes; anything else in the body is a 400, not silently ignored. */
const FIELDS: Record<SendBody['type'], { required: Field[]; optional: Field[] }> = {
  text: { required: ['to', 'text'], optional: ['link_preview', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  location: { required: ['to', 'location'], optional: ['reply_to', 'ttl_seconds'] },
  contact: { required: ['to', 'contact'], optional: ['reply_to', 'ttl_seconds'] },
  poll: { required: ['to', 'poll'], optional: ['reply_to', 'ttl_seconds'] },
  reaction: { required: ['message_id', 'emoji'], optional: ['to', 'ttl_seconds'] },
  edit: { required: ['message_id', 'text'], optional: ['to', 'ttl_seconds'] },
  delete: { required: ['message_id'], optional: ['to', 'ttl_seconds'] },
  image: { required: ['to', 'media'], optional: ['mime_type', 'caption', 'view_once', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  video: { required: ['to', 'media'], optional: ['mime_type', 'caption', 'view_once', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  audio: { required: ['to', 'media'], optional: ['mime_type', 'reply_to', 'ttl_seconds'] },
  voice: { required: ['to', 'media'], optional: ['mime_type', 'view_once', 'reply_to', 'ttl_seconds'] },
  document: { required: ['to', 'media'], optional: ['mime_type', 'filename', 'caption', 'reply_to', 'ttl_seconds', 'mentions', 'mention_all'] },
  sticker: { required: ['to', 'media'], optional: ['mime_type', 'reply_to', 'ttl_seconds'] },
};

/** WhatsApp ignores edits made later than this after the message was sent. */
export const EDIT_WINDOW_MS = 15 * 60_000;

export function checkFields(body: SendBody): void {
  const spec = FIELDS[body.type];
  for (const field of spec.required) {
    if (body[field] === undefined) throw badRequest(`a ${body.type} message needs \`${field}\``, 'missing_field');
  }
  for (const field of Object.keys(body) as (keyof SendBody)[]) {
    if (field !== 'type' && !spec.required.includes(field) && !spec.optional.includes(field)) {
      throw badRequest(`\`${field}\` is not a field of a ${body.type} message`, 'field_not_allowed');
    }
  }
  if ((body.mentions || body.mention_all) && body.type !== 'text' && body.caption === undefined)
    throw badRequest('mentions are made in a text or a caption: add `caption`', 'missing_field');
}

/** The users a send mentions, each as a JID (phone digits or a user JID), once each. */
export function mentionJids(body: SendBody): string[] {
  return [...new Set((body.mentions ?? []).map((m, i) => normalizeUserJid(m, `mentions[${i}]`)))];
}

/** A WhatsApp message id in the form WhatsApp Web uses, made before the first attempt. */
export function newWaId(): string {
  return '3EB0' + randomBytes(9).toString('hex').toUpperCase();
}

/** Pictographs, flags and keycaps, with their modifiers and joiners; nothing else. */
const EMOJI_PARTS = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\u20e3)+$/u;
const EMOJI_CORE = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function checkEmoji(emoji: string): void {
  if (emoji === '') return;
  const one = [...graphemes.segment(emoji)].length === 1;
  if (!one || !EMOJI_PARTS.test(emoji) || !EMOJI_CORE.test(emoji)) {
    throw badRequest('emoji must be one emoji (or empty to remove the reaction)', 'invalid_emoji');
  }
}

function vcardFor(contact: NonNullable<SendBody['contact']>): string {
  if ((contact.phone === undefined) === (contact.vcard === undefined)) throw badRequest('contact needs exactly one of `phone` or `vcard`', 'invalid_contact');
  if (contact.vcard !== undefined) {
    const v = contact.vcard.trim();
    if (!/^BEGIN:VCARD\r?\n/i.test(v) || !/\r?\nEND:VCARD$/i.test(v))
      throw badRequest('contact.vcard must be a vCard: BEGIN:VCARD ... END:VCARD', 'invalid_contact');
    return v;
  }
  const name = contact.name.replace(/[\r\n;]/g, ' ');
  return `BEGIN:VCARD\nVERSION:3.0\nFN:${name}\nTEL;type=CELL;type=VOICE;waid=${contact.phone}:+${contact.phone}\nEND:VCARD`;
}

/** A media file of a send, in the media store (POST /media, or fetched or decoded when the message was accepted). */
export interface ResolvedMedia {
  id: string;
  mime_type: string;
  size: number;
  sha256: string;
  filename: string | null;
  /** voice notes: read from the audio */
  seconds?: number | undefined;
  waveform?: string | undefined;
}

const mentionFields = (body: SendBody, mentions: Party[] | undefined) => ({
  ...(mentions?.length ? { mentions } : {}),
  ...(body.mention_all ? { mention_all: true } : {}),
});

function mediaContentOf(body: SendBody, media: ResolvedMedia, mentions: Party[] | undefined): MediaContent {
  const voice = body.type === 'voice';
  const type = voice ? 'audio' : (body.type as MediaContent['type']);
  return {
    type,
    mimetype: media.mime_type,
    media_id: media.id,
    sha256: media.sha256,
    size: media.size,
    ...(body.caption !== undefined ? { caption: body.caption } : {}),
    ...(type === 'document' ? { file_name: body.filename ?? media.filename ?? 'file' } : {}),
    ...(type === 'audio' ? { voice_note: voice } : {}),
    ...(media.seconds !== undefined ? { seconds: media.seconds } : {}),
    ...(media.waveform !== undefined ? { waveform: media.waveform } : {}),
    ...(body.view_once ? { view_once: true } : {}),
    ...(body.caption !== undefined ? mentionFields(body, mentions) : {}),
  };
}

/** The content to store for a send, from a body whose fields were checked (media types: with their file resolved). */
export function contentOf(body: SendBody, media?: ResolvedMedia, mentions?: Party[]): OutboundMessage['content'] {
  switch (body.type) {
    case 'image':
    case 'video':
    case 'audio':
    case 'voice':
    case 'document':
    case 'sticker':
      if (!media) throw new Error(`a ${body.type} message needs its file resolved first`);
      return mediaContentOf(body, media, mentions);
    case 'text':
      if (!body.text!.trim()) throw badRequest('text must not be blank', 'invalid_text');
      return { type: 'text', text: body.text!, ...(body.link_preview ? { link_preview: true } : {}), ...mentionFields(body, mentions) };
    case 'location': {
      const l = body.location!;
      return {
        type: 'location',
        latitude: l.latitude,
        longitude: l.longitude,
        ...(l.name ? { name: l.name } : {}),
        ...(l.address ? { address: l.address } : {}),
      };
    }
    case 'contact':
      return { type: 'contact', name: body.contact!.name, vcard: vcardFor(body.contact!) };
    case 'poll': {
      const p = body.poll!;
      const options = p.options.map((o) => o.trim());
      if (options.some((o) => !o)) throw badRequest('poll options must not be blank', 'invalid_poll');
      if (new Set(options).size !== options.length) throw badRequest('poll options must be distinct', 'invalid_poll');
      const selectable = p.selectable_count ?? 1;
      if (selectable > options.length) throw badRequest('poll.selectable_count is more than the number of options', 'invalid_poll');
      return { type: 'poll', name: p.name, options, selectable_count: selectable, secret: randomBytes(32).toString('hex') };
    }
    case 'reaction':
      checkEmoji(body.emoji!);
      return { type: 'reaction', emoji: body.emoji! };
    case 'edit':
      if (!body.text!.trim()) throw badRequest('text must not be blank', 'invalid_text');
      return { type: 'edit', text: body.text! };
    case 'delete':
      return { type: 'delete' };
  }
}

/** Checks that a reaction, edit or delete may apply to `target`. */
export function checkTarget(body: SendBody, target: MessageRow, now: number): void {
  if (target.deleted_at) throw badRequest('that message was deleted', 'message_deleted');
  if (body.to !== undefined && normalizeChatJid(body.to) !== target.chat_jid) throw badRequest('`to` is not the chat of message_id', 'chat_mismatch');
  if (['reaction', 'edit', 'delete', 'poll_vote'].includes(target.type))
    throw badRequest(`a ${target.type} cannot be the target of a ${body.type}`, 'invalid_target');
  if (body.type === 'reaction') return;
  if (!target.from_me)
    throw badRequest(
      `only messages this device sent can be ${body.type === 'edit' ? 'edited' : 'deleted'}`,
      body.type === 'edit' ? 'not_editable' : 'not_deletable',
    );
  if (body.type === 'edit') {
    if (target.type !== 'text') throw badRequest('only text messages can be edited', 'not_editable');
    if (now - Date.parse(target.created_at) > EDIT_WINDOW_MS) throw badRequest('WhatsApp allows edits within 15 minutes of sending', 'edit_window_passed');
  }
}
