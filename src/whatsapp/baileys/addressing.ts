import { isJidGroup, jidNormalizedUser, type GroupMetadata, type MessageUserReceiptUpdate, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import { isWaId } from '../inbound-guard.js';
import type { IdentityPair, MessageRef, OutboundMessage, ParticipantReceipt, Party, SendResult } from '../messages.js';
import type { GroupMetadataCache } from './group-cache.js';
import { lidOf, partyOf } from './identities.js';
import { chatJidOf, type Addressing, type Me } from './inbound.js';

const pairsOf = (party: Party | null): IdentityPair[] => (party?.phone && party.lid ? [{ phone: party.phone, lid: party.lid }] : []);

/**
 * Who is who in one session's messages: the users a received message or receipt names, in both
 * addressings (phone number and LID) when known, and a group member's message keyed in the
 * addressing its group uses.
 */
export class SessionAddressing {
  constructor(
    private readonly socket: WASocket,
    private readonly groups?: GroupMetadataCache,
  ) {}

  /**
   * Where a received message belongs and who sent it, each user in both addressings when known;
   * with the LID and phone-number pairs it teaches.
   */
  async addressOf(m: WAMessage): Promise<{ addressing: Addressing; pairs: IdentityPair[] } | null> {
    const k = m.key;
    const remote = k.remoteJid;
    if (!remote) return null;
    if (isJidGroup(remote)) {
      const sender = k.fromMe || !k.participant ? null : await partyOf(this.socket, k.participant, k.participantAlt);
      if (!k.fromMe && !sender) return null;
      // never a query while the message waits for its receipt: the subject comes later (onGroupSubject)
      const chatName = this.groups?.cached(remote)?.subject ?? null;
      if (!chatName) this.groups?.warm(remote);
      return { addressing: { chatJid: remote, chatLid: null, sender, chatName }, pairs: pairsOf(sender) };
    }
    if (!chatJidOf(k)) return null;
    const peer = await partyOf(this.socket, remote, k.remoteJidAlt);
    return { addressing: { chatJid: peer.jid, chatLid: peer.lid, sender: k.fromMe ? null : peer, chatName: null }, pairs: pairsOf(peer) };
  }

  /** A group member's message is known by its sender in the group's addressing: the LID in a LID-addressed group. */
  async refInGroupAddressing(ref: MessageRef): Promise<MessageRef> {
    if (ref.fromMe || !ref.senderJid || !isJidGroup(ref.chatJid) || !(await this.groups?.namesByLid(ref.chatJid))) return ref;
    const lid = ref.senderLid ?? (await lidOf(this.socket, ref.senderJid));
    return lid ? { ...ref, senderJid: lid } : ref;
  }

  async inGroupAddressing(message: OutboundMessage): Promise<OutboundMessage> {
    const quoted = message.quoted ? { ...message.quoted, ref: await this.refInGroupAddressing(message.quoted.ref) } : undefined;
    const target = message.target ? await this.refInGroupAddressing(message.target) : undefined;
    return { ...message, ...(quoted ? { quoted } : {}), ...(target ? { target } : {}) };
  }

  /** Group receipts: one per participant and message (Baileys reports no status for group messages). */
  async participantReceipts(updates: MessageUserReceiptUpdate[]): Promise<ParticipantReceipt[]> {
    const receipts: ParticipantReceipt[] = [];
    for (const { key, receipt } of updates) {
      if (!key.fromMe || !key.remoteJid || !isJidGroup(key.remoteJid) || !isWaId(key.id) || !receipt.userJid) continue;
      const read = receipt.readTimestamp ?? receipt.playedTimestamp;
      const seconds = Number(read ?? receipt.receiptTimestamp ?? 0);
      const participant = await partyOf(this.socket, receipt.userJid);
      receipts.push({
        chatJid: key.remoteJid,
        waId: key.id,
        participantJid: participant.jid,
        participantLid: participant.lid,
        status: read ? 'read' : 'delivered',
        at: new Date(seconds > 0 ? seconds * 1000 : Date.now()).toISOString(),
      });
    }
    return receipts;
  }

  /** What a send learned: the recipient's LID; for a group, its subject and the other participants it went to. */
  async sendResult(chatJid: string, meta: GroupMetadata | undefined, me: Me): Promise<SendResult> {
    if (!isJidGroup(chatJid)) return { recipientLid: await lidOf(this.socket, chatJid) };
    const others = meta?.participants.filter((p) => ![p.id, p.lid, p.phoneNumber].some((j) => j && [me.pn, me.lid].includes(jidNormalizedUser(j))));
    return { ...(others ? { recipients: others.length } : {}), chatName: meta?.subject ?? null };
  }
}
