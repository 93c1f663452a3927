import {
  decryptPollVote,
  isJidGroup,
  isPnUser,
  isLidUser,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  sha256,
  type WAMessage,
} from '@whiskeysockets/baileys';
import { isWaId } from '../inbound-guard.js';
import {
  MEDIA_TYPES,
  type InboundMessage,
  type MediaContent,
  type MediaDownload,
  type MediaType,
  type MessageContent,
  type MessageRef,
  type Party,
  type PollContent,
} from '../messages.js';

/** This device's account, in both addressings (votes are signed with one or the other). */
export interface Me {
  pn: string | null;
  lid: string | null;
}

export type LookupMessage = (ref: MessageRef) => Promise<MessageContent | undefined>;

const seconds = (value: WAMessage['messageTimestamp']): number => Number(value ?? 0) || Math.floor(Date.now() / 1000);

/** The chat a message belongs to: a group, or a one-to-one chat by phone number when WhatsApp told it. */
export function chatJidOf(key: { remoteJid?: string | null; remoteJidAlt?: string | null }): string | null {
  const remote = key.remoteJid;
  if (!remote) return null;
  if (isJidGroup(remote)) return remote;
  if (isLidUser(remote) && key.remoteJidAlt && isPnUser(key.remoteJidAlt)) return jidNormalizedUser(key.remoteJidAlt);
  if (isPnUser(remote) || isLidUser(remote)) return jidNormalizedUser(remote);
  return null; // broadcasts and newsletters are not kept
}

/** Who a received message is from and where it belongs, both addressings resolved (identities.ts). */
export interface Addressing {
  chatJid: string;
  /** a one-to-one chat: the peer's LID */
  chatLid: string | null;
  /** null for the account's own messages */
  sender: Party | null;
  /** a group: its subject when the session knows it */
  chatName: string | null;
}

/** The users a message mentions (contextInfo.mentionedJid), each in the addressing the sender used. */
function mentionsOf(context: proto.IContextInfo | null | undefined): Party[] | undefined {
  const jids = (context?.mentionedJid ?? []).filter((j): j is string => typeof j === 'string' && !!(isPnUser(j) || isLidUser(j)));
  if (jids.length === 0) return undefined;
  return jids.slice(0, 256).map((j) => {
    const jid = jidNormalizedUser(j);
    return { jid, phone: isPnUser(jid) ? jid.split('@')[0]! : null, lid: isLidUser(jid) ? jid : null };
  });
}

const mentionFields = (context: proto.IContextInfo | null | undefined) => {
  const mentions = mentionsOf(context);
  return { ...(mentions ? { mentions } : {}), ...(context?.nonJidMentions ? { mention_all: true } : {}) };
};

/**
 * One received WhatsApp message in WUTS's terms; null for what WUTS does not keep (protocol
 * messages other than edits and deletes, status updates).
 */
export async function toInbound(msg: WAMessage, me: Me, addr: Addressing, lookup: LookupMessage | undefined, offline: boolean): Promise<InboundMessage | null> {
  const { chatJid } = addr;
  const waId = msg.key.id;
  const content = normalizeMessageContent(msg.message);
  if (!waId || !content) return null;
  const fromMe = !!msg.key.fromMe;
  const isGroup = isJidGroup(chatJid);
  const sender = addr.sender;
  const base = {
    chatJid,
    waId,
    fromMe,
    senderJid: fromMe ? null : (sender?.jid ?? null),
    senderLid: fromMe ? null : (sender?.lid ?? null),
    chatLid: addr.chatLid,
    ...(addr.chatName ? { chatName: addr.chatName } : {}),
    pushName: msg.pushName ?? null,
    timestamp: new Date(seconds(msg.messageTimestamp) * 1000).toISOString(),
    quotedWaId: null as string | null,
    targetWaId: null as string | null,
    offline,
  };
  const protocol = content.protocolMessage;
  if (protocol) {
    const target = protocol.key?.id;
    if (!target) return null;
    if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) return { ...base, targetWaId: target, content: { type: 'delete' } };
    if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
      const edited = normalizeMessageContent(protocol.editedMessage);
      const text = edited?.conversation ?? edited?.extendedTextMessage?.text ?? edited?.imageMessage?.caption ?? edited?.videoMessage?.caption;
      return typeof text === 'string' ? { ...base, targetWaId: target, content: { type: 'edit', text } } : null;
    }
    return null;
  }
  if (content.reactionMessage) {
    const target = content.reactionMessage.key?.id;
    return target ? { ...base, targetWaId: target, content: { type: 'reaction', emoji: content.reactionMessage.text ?? '' } } : null;
  }
  if (content.pollUpdateMessage) {
    const pollKey = content.pollUpdateMessage.pollCreationMessageKey;
    // the poll's id is looked up before the guard sees the vote
    if (!isWaId(pollKey?.id) || !content.pollUpdateMessage.vote) return null;
    const pollCreator = isGroup ? (pollKey.participant ?? null) : chatJid;
    const pollRef: MessageRef = { chatJid, waId: pollKey.id, fromMe: !!pollKey.fromMe, senderJid: pollKey.fromMe ? null : pollCreator };
    const poll = await lookup?.(pollRef);
    if (!poll || poll.type !== 'poll' || !poll.secret) return null;
    // votes are bound to the voter's and creator's jids in the addressing the voter used: try both
    const peer = isGroup ? [sender?.jid, sender?.lid, msg.key.participant] : [chatJid, msg.key.remoteJid, addr.chatLid];
    const options = readVote(content.pollUpdateMessage.vote, poll, {
      pollId: pollKey.id,
      creators: pollKey.fromMe ? [me.pn, me.lid] : isGroup ? [pollCreator] : peer,
      voters: fromMe ? [me.pn, me.lid] : peer,
    });
    return options ? { ...base, targetWaId: pollKey.id, content: { type: 'poll_vote', options } } : null;
  }
  const raw = msg.message;
  const viewOnce = !!(raw?.viewOnceMessage || raw?.viewOnceMessageV2 || raw?.viewOnceMessageV2Extension);
  const parsed = readContent(content, viewOnce);
  if (!parsed) return null;
  // Baileys' event buffer folds an edit that arrives in the same batch into the original
  // message (its `message` becomes `{editedMessage}`); the edit itself follows separately
  const editedBeforeReceived = !!msg.message?.editedMessage;
  return {
    ...base,
    quotedWaId: parsed.quotedWaId,
    content: parsed.content,
    ...(editedBeforeReceived ? { editedBeforeReceived } : {}),
    ...(parsed.download ? { download: parsed.download } : {}),
  };
}

function readContent(c: proto.IMessage, viewOnce: boolean): { content: MessageContent; quotedWaId: string | null; download?: MediaDownload } | null {
  if (typeof c.conversation === 'string') return { content: { type: 'text', text: c.conversation }, quotedWaId: null };
  if (c.extendedTextMessage) {
    const context = c.extendedTextMessage.contextInfo;
    return { content: { type: 'text', text: c.extendedTextMessage.text ?? '', ...mentionFields(context) }, quotedWaId: context?.stanzaId ?? null };
  }
  if (c.locationMessage || c.liveLocationMessage) {
    const l = (c.locationMessage ?? c.liveLocationMessage)!;
    const loc = l as proto.Message.ILocationMessage;
    return {
      content: {
        type: 'location',
        latitude: l.degreesLatitude ?? 0,
        longitude: l.degreesLongitude ?? 0,
        ...(loc.name ? { name: loc.name } : {}),
        ...(loc.address ? { address: loc.address } : {}),
      },
      quotedWaId: l.contextInfo?.stanzaId ?? null,
    };
  }
  if (c.contactMessage)
    return {
      content: { type: 'contact', name: c.contactMessage.displayName ?? '', vcard: c.contactMessage.vcard ?? '' },
      quotedWaId: c.contactMessage.contextInfo?.stanzaId ?? null,
    };
  if (c.contactsArrayMessage) {
    const first = c.contactsArrayMessage.contacts?.[0];
    return { content: { type: 'contact', name: c.contactsArrayMessage.displayName ?? first?.displayName ?? '', vcard: first?.vcard ?? '' }, quotedWaId: null };
  }
  const poll = c.pollCreationMessage ?? c.pollCreationMessageV2 ?? c.pollCreationMessageV3;
  if (poll) {
    const secret = c.messageContextInfo?.messageSecret;
    const content: PollContent = {
      type: 'poll',
      name: poll.name ?? '',
      options: (poll.options ?? []).map((o) => o.optionName ?? ''),
      selectable_count: poll.selectableOptionsCount ?? 0,
      ...(secret?.length ? { secret: Buffer.from(secret).toString('hex') } : {}),
    };
    return { content, quotedWaId: poll.contextInfo?.stanzaId ?? null };
  }
  const media = readMedia(c, viewOnce);
  if (media) return media;
  const waType = Object.keys(c).find((k) => k !== 'messageContextInfo' && k !== 'senderKeyDistributionMessage');
  return waType ? { content: { type: 'unsupported', wa_type: waType }, quotedWaId: null } : null;
}

type MediaProto = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage &
  proto.Message.IStickerMessage;

const b64 = (bytes: Uint8Array | null | undefined): string | null => (bytes?.length ? Buffer.from(bytes).toString('base64') : null);
const hex = (bytes: Uint8Array | null | undefined): string | undefined => (bytes?.length ? Buffer.from(bytes).toString('hex') : undefined);
const count = (n: unknown): number | undefined => (n === null || n === undefined ? undefined : Number(n));

/** A media message's metadata, and where WhatsApp keeps its file (downloaded by WUTS as it arrives). */
function readMedia(c: proto.IMessage, viewOnce: boolean): { content: MediaContent; quotedWaId: string | null; download?: MediaDownload } | null {
  const found = MEDIA_TYPES.map((type) => ({ type, m: c[`${type}Message`] as MediaProto | null | undefined })).find((x) => x.m);
  if (!found) return null;
  const { type, m } = found as { type: MediaType; m: MediaProto };
  const content: MediaContent = {
    type,
    mimetype: m.mimetype ?? null,
    ...(m.caption && type !== 'audio' && type !== 'sticker' ? { caption: m.caption } : {}),
    ...(type === 'document' && m.fileName ? { file_name: m.fileName } : {}),
    ...(count(m.fileLength) !== undefined ? { size: count(m.fileLength) } : {}),
    ...((type === 'audio' || type === 'video') && m.seconds ? { seconds: m.seconds } : {}),
    ...(type === 'audio' ? { voice_note: !!m.ptt } : {}),
    ...(hex(m.fileSha256) ? { sha256: hex(m.fileSha256) } : {}),
    ...(m.width ? { width: m.width } : {}),
    ...(m.height ? { height: m.height } : {}),
    ...(viewOnce || m.viewOnce ? { view_once: true } : {}),
    ...(type === 'audio' && m.waveform?.length ? { waveform: b64(m.waveform)! } : {}),
    ...(m.caption ? mentionFields(m.contextInfo) : {}),
  };
  const mediaKey = b64(m.mediaKey);
  const download: MediaDownload | undefined =
    mediaKey && (m.directPath || m.url)
      ? {
          mediaType: type,
          directPath: m.directPath ?? null,
          url: m.url ?? null,
          mediaKey,
          fileEncSha256: b64(m.fileEncSha256),
          fileSha256: b64(m.fileSha256),
          fileLength: count(m.fileLength) ?? null,
        }
      : undefined;
  return { content, quotedWaId: m.contextInfo?.stanzaId ?? null, ...(download ? { download } : {}) };
}

/**
 * The option names a vote chose. Votes are encrypted with the poll's secret and bound to the
 * creator's and voter's jids, in the addressing (phone number or LID) the voter used: try both.
 */
function readVote(
  vote: proto.Message.IPollEncValue,
  poll: PollContent,
  jids: { pollId: string; creators: Array<string | null | undefined>; voters: Array<string | null | undefined> },
): string[] | null {
  if (!vote.encPayload || !vote.encIv || !poll.secret) return null;
  const pollEncKey = Buffer.from(poll.secret, 'hex');
  const byHash = new Map(poll.options.map((name) => [Buffer.from(sha256(Buffer.from(name))).toString('hex'), name]));
  const normalize = (j: string | null | undefined) => (j ? jidNormalizedUser(j) : null);
  const creators = [...new Set(jids.creators.map(normalize).filter((j): j is string => !!j))];
  const voters = [...new Set(jids.voters.map(normalize).filter((j): j is string => !!j))];
  for (const pollCreatorJid of creators) {
    for (const voterJid of voters) {
      try {
        const decoded = decryptPollVote({ encPayload: vote.encPayload, encIv: vote.encIv }, { pollCreatorJid, pollMsgId: jids.pollId, pollEncKey, voterJid });
        return (decoded.selectedOptions ?? []).map((h) => byHash.get(Buffer.from(h).toString('hex'))).filter((n): n is string => n !== undefined);
      } catch {
        // wrong jid pair: the GCM tag does not match; try the next
      }
    }
  }
  return null;
}
