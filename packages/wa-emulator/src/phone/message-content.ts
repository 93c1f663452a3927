import { getContentType, normalizeMessageContent, proto } from '../baileys.js';
import { LIMITS, type MessageBody } from '../model.js';

/** What the admin API asks the phone to send. */
export type OutgoingContent =
  | { type: 'text'; text: string }
  | { type: 'location'; location: { latitude: number; longitude: number; name?: string; address?: string } }
  | { type: 'contact'; contact: { name: string; vcard: string } }
  | { type: 'poll'; poll: { name: string; options: string[]; selectableCount: number } };

/** The fields of a stored record that describe its content (everything a revoke clears). */
export type ContentFields = Pick<MessageBody, 'type' | 'text' | 'location' | 'contact' | 'poll' | 'quotedId' | 'targetId' | 'pollSecret' | 'content'>;

const TYPE_NAMES: Partial<Record<keyof proto.IMessage, string>> = {
  conversation: 'text',
  extendedTextMessage: 'text',
  locationMessage: 'location',
  contactMessage: 'contact',
  pollCreationMessage: 'poll',
  pollCreationMessageV2: 'poll',
  pollCreationMessageV3: 'poll',
  reactionMessage: 'reaction',
};

/** Baileys' content for `sock.sendMessage`; a poll carries the secret its votes will be encrypted with. */
export function toBaileysContent(out: OutgoingContent, pollSecret: Uint8Array) {
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
  }
}

/** The content kind of a proto message, its inner content unwrapped (ephemeral, view once, ...). */
export function contentKind(message: proto.IMessage | null | undefined): { key: keyof proto.IMessage | undefined; inner: proto.IMessage | undefined } {
  const inner = normalizeMessageContent(message);
  return { key: getContentType(inner), inner };
}

/** Reads what a stored record shows from a proto message, bounded. */
export function describeContent(message: proto.IMessage): ContentFields {
  const { key, inner } = contentKind(message);
  const fields: ContentFields = { type: key ? (TYPE_NAMES[key] ?? key) : 'unknown', text: clip(textOf(inner), LIMITS.storedTextChars) };
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
  const quotedId = key && contextInfoOf(inner?.[key])?.stanzaId;
  if (quotedId) fields.quotedId = clip(quotedId, LIMITS.messageIdChars)!;
  const encoded = proto.Message.encode(message).finish();
  if (encoded.length <= LIMITS.storedContentBytes) fields.content = Buffer.from(encoded).toString('base64');
  return fields;
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
