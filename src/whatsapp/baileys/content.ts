import type { AnyMessageContent, proto, WAMessage, WAMessageKey } from '@whiskeysockets/baileys';
import type { Readable } from 'node:stream';
import type { MediaContent, MessageContent, MessageRef, OutboundMessage, Party } from '../messages.js';

export function toKey(ref: MessageRef): WAMessageKey {
  // in a group, another member's message is known by its sender too
  const participant = !ref.fromMe && ref.senderJid && ref.chatJid.endsWith('@g.us') ? { participant: ref.senderJid } : {};
  return { remoteJid: ref.chatJid, id: ref.waId, fromMe: ref.fromMe, ...participant };
}

function needTarget(message: OutboundMessage): WAMessageKey {
  if (!message.target) throw new Error(`a ${message.content.type} needs the message it applies to`);
  return toKey(message.target);
}

/** Baileys' mention fields (contextInfo.mentionedJid, and nonJidMentions for @all) of a text or caption. */
function mentionsOf(c: { mentions?: Party[] | undefined; mention_all?: boolean | undefined }): { mentions?: string[]; mentionAll?: boolean } {
  return {
    ...(c.mentions?.length ? { mentions: c.mentions.map((m) => m.jid) } : {}),
    ...(c.mention_all ? { mentionAll: true } : {}),
  };
}

/** Baileys' content for a media message, its file read from `file` (Baileys encrypts it through a temporary file). */
function toMediaContent(c: MediaContent, file: Readable | undefined): AnyMessageContent {
  if (!file) throw new Error(`a ${c.type} message needs its file`);
  const media = { stream: file };
  const mimetype = c.mimetype ?? undefined;
  const viewOnce = c.view_once ? { viewOnce: true } : {};
  const mentions = c.caption ? mentionsOf(c) : {};
  switch (c.type) {
    case 'image':
      return { image: media, mimetype, ...(c.caption ? { caption: c.caption } : {}), ...viewOnce, ...mentions };
    case 'video':
      return { video: media, mimetype, ...(c.caption ? { caption: c.caption } : {}), ...viewOnce, ...mentions };
    case 'audio':
      return {
        audio: media,
        mimetype,
        ptt: !!c.voice_note,
        ...(c.seconds !== undefined ? { seconds: c.seconds } : {}),
        ...(c.waveform ? { waveform: Buffer.from(c.waveform, 'base64') } : {}),
        ...viewOnce,
      } as AnyMessageContent;
    case 'document':
      return {
        document: media,
        mimetype: mimetype ?? 'application/octet-stream',
        fileName: c.file_name ?? 'file',
        ...(c.caption ? { caption: c.caption } : {}),
        // Baileys' types omit mentions on documents; its message builder reads them on any content
        ...mentions,
      } as AnyMessageContent;
    case 'sticker':
      return { sticker: media, mimetype };
  }
}

/** What Baileys' sendMessage takes for one of WUTS's outbound messages (`file`: a media message's bytes). */
export function toSendContent(message: OutboundMessage, file?: Readable): AnyMessageContent {
  const c = message.content;
  switch (c.type) {
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return toMediaContent(c, file);
    case 'text':
      return {
        text: c.text,
        ...mentionsOf(c),
        // null, not undefined: undefined makes Baileys fetch the URL itself
        linkPreview: message.linkPreview
          ? {
              'canonical-url': message.linkPreview.url,
              'matched-text': message.linkPreview.url,
              title: message.linkPreview.title,
              description: message.linkPreview.description ?? '',
            }
          : null,
      };
    case 'location':
      return {
        location: {
          degreesLatitude: c.latitude,
          degreesLongitude: c.longitude,
          ...(c.name ? { name: c.name } : {}),
          ...(c.address ? { address: c.address } : {}),
        },
      };
    case 'contact':
      return { contacts: { displayName: c.name, contacts: [{ displayName: c.name, vcard: c.vcard }] } };
    case 'poll':
      return {
        poll: { name: c.name, values: c.options, selectableCount: c.selectable_count, ...(c.secret ? { messageSecret: Buffer.from(c.secret, 'hex') } : {}) },
      };
    case 'reaction':
      return { react: { text: c.emoji, key: needTarget(message) } };
    case 'edit':
      return { text: c.text, edit: needTarget(message) };
    case 'delete':
      return { delete: needTarget(message) };
  }
}

/** A stored message as WhatsApp's protobuf, to quote it or to send it again on a retry request. */
export function toProtoMessage(content: MessageContent): proto.IMessage | undefined {
  switch (content.type) {
    case 'text':
      return { conversation: content.text };
    case 'location':
      return {
        locationMessage: {
          degreesLatitude: content.latitude,
          degreesLongitude: content.longitude,
          name: content.name ?? null,
          address: content.address ?? null,
        },
      };
    case 'contact':
      return { contactMessage: { displayName: content.name, vcard: content.vcard } };
    case 'poll':
      return {
        pollCreationMessage: {
          name: content.name,
          options: content.options.map((optionName) => ({ optionName })),
          selectableOptionsCount: content.selectable_count,
        },
        ...(content.secret ? { messageContextInfo: { messageSecret: Buffer.from(content.secret, 'hex') } } : {}),
      };
    case 'image':
    case 'video':
    case 'document':
      return { conversation: content.caption ?? content.file_name ?? `[${content.type}]` };
    case 'audio':
    case 'sticker':
      return { conversation: `[${content.type}]` };
    default:
      return undefined;
  }
}

/** The quoted message of a reply, as Baileys' `quoted` option wants it. */
export function toQuoted(quoted: NonNullable<OutboundMessage['quoted']>): WAMessage | undefined {
  const message = toProtoMessage(quoted.content);
  if (!message) return undefined;
  return { key: toKey(quoted.ref), message };
}
