import { userJid } from '../accounts.js';
import type { GroupService } from '../group-service.js';
import type { ParticipantResult } from '../groups/group-actions.js';
import { groupJid } from '../groups/group-store.js';
import type { AccountPrivacy, AccountRecord, GroupJoinRequest, GroupRecord } from '../model.js';

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** A group as an account sees it: invite code and pending requests for its admins only. */
export function groupView(group: GroupRecord, viewer: string, groups: GroupService, account: (phone: string) => AccountRecord | undefined) {
  const admin = groups.isAdmin(viewer, group);
  return {
    id: groupJid(group),
    subject: group.subject,
    subject_owner: group.subjectOwner,
    subject_time: iso(group.subjectTime),
    description: group.description
      ? { id: group.description.id, text: group.description.text, owner: group.description.owner, time: iso(group.description.time) }
      : null,
    owner: group.owner,
    created_at: iso(group.creation),
    addressing_mode: group.addressingMode,
    size: group.participants.length,
    participants: group.participants.map((p) => {
      const a = account(p.phone);
      return { phone: p.phone, jid: a ? userJid(a, 'pn') : `${p.phone}@s.whatsapp.net`, lid: a ? userJid(a, 'lid') : '', role: p.role, joined_at: p.joinedAt };
    }),
    announce: group.announce,
    locked: group.locked,
    ephemeral: group.ephemeral,
    member_add_mode: group.memberAddMode,
    join_approval: group.joinApproval,
    picture: group.picture ? { id: group.picture.id, set_by: group.picture.setBy, set_at: iso(group.picture.time), bytes: group.picture.jpeg.length } : null,
    ...(admin ? { invite_code: group.inviteCode, pending_requests: group.requests.map(requestView) } : {}),
  };
}

export function requestView(r: GroupJoinRequest) {
  return { phone: r.phone, method: r.method, requested_at: iso(r.at) };
}

const STATUS: Record<number, string> = {
  200: 'ok',
  403: 'privacy_refused',
  404: 'not_found',
  406: 'not_acceptable',
  409: 'already_participant',
  500: 'limit_reached',
};

export function outcomeView(r: ParticipantResult, asked: string) {
  return { phone: r.phone ?? asked, code: r.code, status: STATUS[r.code] ?? 'error' };
}

export function privacyView(p: AccountPrivacy) {
  return { group_add: p.groupAdd, contacts: p.contacts };
}
