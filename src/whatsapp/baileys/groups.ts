import {
  generateMessageIDV2,
  generateProfilePicture,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  isLidUser,
  isPnUser,
  jidDecode,
  jidNormalizedUser,
  type BinaryNode,
  type GroupMetadata,
  type GroupParticipant,
  type WASocket,
} from '@whiskeysockets/baileys';
import {
  GroupRefusedError,
  InvalidPictureError,
  type DeviceGroups,
  type GroupChanges,
  type GroupInfo,
  type GroupJoinRequestInfo,
  type GroupParticipantAction,
  type GroupPerson,
  type ParticipantResult,
} from '../groups.js';
import type { GroupIdentities } from './group-identities.js';

/** A user as WUTS names it, from the JID a group gives and its other form when given. */
export function toPerson(jid: string, alt?: string | null): GroupPerson {
  const main = jidNormalizedUser(jid);
  const other = alt ? jidNormalizedUser(alt) : undefined;
  const pn = isPnUser(main) ? main : other && isPnUser(other) ? other : undefined;
  const lid = isLidUser(main) ? main : other && isLidUser(other) ? other : undefined;
  return { jid: main, phone: pn ? (jidDecode(pn)?.user ?? null) : null, lid: lid ?? null };
}

function member(p: GroupParticipant) {
  const person = toPerson(p.id, p.phoneNumber ?? p.lid);
  return { ...person, role: p.admin === 'superadmin' ? ('superadmin' as const) : p.admin === 'admin' ? ('admin' as const) : ('member' as const) };
}

export function toGroupInfo(meta: GroupMetadata): GroupInfo {
  return {
    jid: meta.id,
    subject: meta.subject ?? '',
    description: meta.desc ?? null,
    owner: meta.owner ? toPerson(meta.owner, meta.ownerPn) : null,
    createdAt: meta.creation && Number.isFinite(meta.creation) ? meta.creation : null,
    size: meta.participants.length,
    participants: meta.participants.map(member),
    announce: !!meta.announce,
    locked: !!meta.restrict,
    ephemeralSeconds: meta.ephemeralDuration ?? 0,
    memberAddMode: meta.memberAddMode ? 'all_members' : 'admins',
    joinApproval: !!meta.joinApprovalMode,
  };
}

/**
 * WhatsApp's refusal of an IQ, as Baileys throws it: `data` is the error code (assertNodeErrorFree)
 * or the `<error>` node (extractGroupMetadata). Anything else (a timeout, a closed socket) is not one.
 */
export function refusalOf(err: unknown): GroupRefusedError | undefined {
  if (!(err instanceof Error)) return undefined;
  const data = (err as { data?: unknown }).data;
  const code = typeof data === 'number' ? data : Number((data as BinaryNode | undefined)?.attrs?.code ?? NaN);
  if (!Number.isInteger(code) || code < 400 || code > 599) return undefined;
  return new GroupRefusedError(code, err.message);
}

async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw refusalOf(err) ?? err;
  }
}

const results = (list: { status: string; jid: string | undefined }[]): ParticipantResult[] =>
  list.map((r) => ({ jid: r.jid ? jidNormalizedUser(r.jid) : '', code: Number(r.status) || 500 }));

/** DeviceGroups over a Baileys socket (Socket/groups.js and the picture IQs of Socket/chats.js). */
export class BaileysGroups implements DeviceGroups {
  constructor(
    private readonly socket: WASocket,
    private readonly identities: GroupIdentities,
  ) {}

  /** A group read from WhatsApp; its participants' two forms are remembered for later events. */
  private seen(meta: GroupMetadata): GroupInfo {
    const info = toGroupInfo(meta);
    for (const p of info.participants) this.identities.learn(p);
    return info;
  }

  list(): Promise<GroupInfo[]> {
    return refusing(async () => Object.values(await this.socket.groupFetchAllParticipating()).map((m) => this.seen(m)));
  }

  get(groupJid: string): Promise<GroupInfo> {
    return refusing(async () => this.seen(await this.socket.groupMetadata(groupJid)));
  }

  /** groupCreate drops the per-participant errors of the answer: this asks itself, then reads the group. */
  create(subject: string, participantJids: string[]): Promise<{ group: GroupInfo; refused: ParticipantResult[] }> {
    return refusing(async () => {
      const answer = await this.socket.query({
        tag: 'iq',
        attrs: { type: 'set', xmlns: 'w:g2', to: '@g.us' },
        content: [
          {
            tag: 'create',
            attrs: { subject, key: generateMessageIDV2() },
            content: participantJids.map((jid) => ({ tag: 'participant', attrs: { jid } })),
          },
        ],
      });
      const node = getBinaryNodeChild(answer, 'group');
      if (!node?.attrs.id) throw new GroupRefusedError(500, 'WhatsApp answered the group creation without a group');
      const groupJid = node.attrs.id.includes('@') ? node.attrs.id : `${node.attrs.id}@g.us`;
      const refused = getBinaryNodeChildren(node, 'participant')
        .filter((p) => p.attrs.error)
        .map((p) => ({ jid: jidNormalizedUser(p.attrs.jid ?? ''), code: Number(p.attrs.error) || 500 }));
      return { group: this.seen(await this.socket.groupMetadata(groupJid)), refused };
    });
  }

  update(groupJid: string, changes: GroupChanges): Promise<void> {
    const s = this.socket;
    return refusing(async () => {
      if (changes.subject !== undefined) await s.groupUpdateSubject(groupJid, changes.subject);
      if (changes.description !== undefined) await s.groupUpdateDescription(groupJid, changes.description ?? undefined);
      if (changes.announce !== undefined) await s.groupSettingUpdate(groupJid, changes.announce ? 'announcement' : 'not_announcement');
      if (changes.locked !== undefined) await s.groupSettingUpdate(groupJid, changes.locked ? 'locked' : 'unlocked');
      if (changes.ephemeralSeconds !== undefined) await s.groupToggleEphemeral(groupJid, changes.ephemeralSeconds);
      if (changes.memberAddMode !== undefined) await s.groupMemberAddMode(groupJid, changes.memberAddMode === 'all_members' ? 'all_member_add' : 'admin_add');
      if (changes.joinApproval !== undefined) await s.groupJoinApprovalMode(groupJid, changes.joinApproval ? 'on' : 'off');
    });
  }

  updateParticipants(groupJid: string, action: GroupParticipantAction, participantJids: string[]): Promise<ParticipantResult[]> {
    return refusing(async () => results(await this.socket.groupParticipantsUpdate(groupJid, participantJids, action)));
  }

  inviteCode(groupJid: string): Promise<string> {
    return refusing(async () => {
      const code = await this.socket.groupInviteCode(groupJid);
      if (!code) throw new GroupRefusedError(500, 'WhatsApp answered without an invite code');
      return code;
    });
  }

  revokeInvite(groupJid: string): Promise<string> {
    return refusing(async () => {
      const code = await this.socket.groupRevokeInvite(groupJid);
      if (!code) throw new GroupRefusedError(500, 'WhatsApp answered without a new invite code');
      return code;
    });
  }

  /** Asks what the code opens first: a bad code is refused (406) before anything is joined, and the group is known when joining only asks. */
  join(code: string): Promise<{ groupJid: string; state: 'joined' | 'requested' }> {
    return refusing(async () => {
      const info = await this.socket.groupGetInviteInfo(code);
      const joined = await this.socket.groupAcceptInvite(code);
      return { groupJid: jidNormalizedUser(joined ?? info.id), state: joined ? 'joined' : 'requested' };
    });
  }

  joinRequests(groupJid: string): Promise<GroupJoinRequestInfo[]> {
    return refusing(async () =>
      (await this.socket.groupRequestParticipantsList(groupJid)).map((attrs) => ({
        person: toPerson(attrs.jid ?? '', attrs.phone_number ?? attrs.lid),
        method: attrs.request_method ?? null,
        requestedAt: attrs.request_time ? Number(attrs.request_time) : null,
      })),
    );
  }

  answerJoinRequests(groupJid: string, action: 'approve' | 'reject', participantJids: string[]): Promise<ParticipantResult[]> {
    return refusing(async () => results(await this.socket.groupRequestParticipantsUpdate(groupJid, participantJids, action)));
  }

  leave(groupJid: string): Promise<void> {
    return refusing(() => this.socket.groupLeave(groupJid));
  }

  /** profilePictureUrl drops the picture's id: this asks itself. No picture is WhatsApp's 404. */
  async picture(groupJid: string): Promise<{ url: string; id: string | null } | null> {
    try {
      const answer = await this.socket.query({
        tag: 'iq',
        attrs: { target: groupJid, to: 's.whatsapp.net', type: 'get', xmlns: 'w:profile:picture' },
        content: [{ tag: 'picture', attrs: { type: 'image', query: 'url' } }],
      });
      const picture = getBinaryNodeChild(answer, 'picture');
      return picture?.attrs.url ? { url: picture.attrs.url, id: picture.attrs.id ?? null } : null;
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal?.code === 404) return null;
      throw refusal ?? err;
    }
  }

  /** updateProfilePicture, with the image made first: an image sharp cannot read is the caller's error, not WhatsApp's. */
  async setPicture(groupJid: string, image: Buffer): Promise<void> {
    let img: Buffer;
    try {
      ({ img } = await generateProfilePicture(image));
    } catch (err) {
      throw new InvalidPictureError(`the image could not be read: ${(err as Error).message}`);
    }
    await refusing(() =>
      this.socket.query({
        tag: 'iq',
        attrs: { to: 's.whatsapp.net', type: 'set', xmlns: 'w:profile:picture', target: groupJid },
        content: [{ tag: 'picture', attrs: { type: 'image' }, content: img }],
      }),
    );
  }

  removePicture(groupJid: string): Promise<void> {
    return refusing(() => this.socket.removeProfilePicture(groupJid));
  }
}
