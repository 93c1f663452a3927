import type { Static } from 'typebox';
import type { GroupInfo, GroupMember, GroupParticipantAction, GroupPerson, ParticipantResult } from '../whatsapp/groups.js';
import { phoneOfJid } from './ids.js';
import type { GroupSchema, GroupSummarySchema, ParticipantOutcomeSchema, PersonSchema, SettingsSchema } from './schemas.js';

export type ApiGroup = Static<typeof GroupSchema>;
export type ApiGroupSummary = Static<typeof GroupSummarySchema>;
export type ApiOutcome = Static<typeof ParticipantOutcomeSchema>;

/** The device's own number, to find its role in a group. */
export interface Me {
  phone: string | null;
  lid: string | null;
}

const iso = (seconds: number | null): string | null => (seconds ? new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

export const toPerson = (p: GroupPerson): Static<typeof PersonSchema> => ({ jid: p.jid, phone: p.phone, lid: p.lid });

const isMe = (me: Me, p: GroupPerson): boolean => (me.phone !== null && p.phone === me.phone) || (me.lid !== null && p.lid === me.lid);

export function roleOf(group: GroupInfo, me: Me): GroupMember['role'] | null {
  return group.participants.find((p) => isMe(me, p))?.role ?? null;
}

export function toSettings(g: GroupInfo): Static<typeof SettingsSchema> {
  return { announce: g.announce, locked: g.locked, ephemeral_seconds: g.ephemeralSeconds, member_add_mode: g.memberAddMode, join_approval: g.joinApproval };
}

export function toGroupSummary(g: GroupInfo, me: Me): ApiGroupSummary {
  return {
    jid: g.jid,
    subject: g.subject,
    description: g.description,
    owner: g.owner ? toPerson(g.owner) : null,
    created_at: iso(g.createdAt),
    settings: toSettings(g),
    size: g.size,
    role: roleOf(g, me),
  };
}

export function toGroup(g: GroupInfo, me: Me, inviteCode?: string | null): ApiGroup {
  return {
    ...toGroupSummary(g, me),
    participants: g.participants.map((p) => ({ ...toPerson(p), role: p.role })),
    ...(inviteCode !== undefined ? { invite_code: inviteCode } : {}),
  };
}

const DONE: Record<GroupParticipantAction | 'approve' | 'reject', ApiOutcome['status']> = {
  add: 'added',
  remove: 'removed',
  promote: 'promoted',
  demote: 'demoted',
  approve: 'approved',
  reject: 'rejected',
};

/** WhatsApp's per-participant code, said in words: 404 means "not on WhatsApp" for an add, "not in the group" otherwise. */
function statusOf(action: GroupParticipantAction | 'approve' | 'reject', code: number): ApiOutcome['status'] {
  if (code === 200) return DONE[action];
  if (code === 403) return 'privacy_refused';
  if (code === 404) return action === 'add' ? 'not_on_whatsapp' : action === 'approve' || action === 'reject' ? 'no_request' : 'not_a_participant';
  if (code === 406) return 'not_allowed';
  if (code === 409) return 'already_participant';
  if (code === 500) return 'limit_reached';
  return 'refused';
}

/** One outcome per participant asked, in the order asked (WhatsApp may answer in another order, or leave one out). */
export function toOutcomes(
  action: GroupParticipantAction | 'approve' | 'reject',
  asked: string[],
  results: ParticipantResult[],
  /** the code of a participant WhatsApp did not name: 200 when it names only the refused ones (create) */
  unnamed = 0,
): ApiOutcome[] {
  const byJid = new Map(results.map((r) => [r.jid, r.code]));
  return asked.map((jid) => {
    const code = byJid.get(jid) ?? unnamed;
    return { jid, phone: phoneOfJid(jid), status: statusOf(action, code), code };
  });
}
