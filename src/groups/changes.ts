import type { Static } from 'typebox';
import type { Actor } from '../auth/actor.js';
import type { Deps } from '../deps.js';
import type { GroupChanges, GroupParticipantAction } from '../whatsapp/groups.js';
import { parseInvite, parseParticipants } from './ids.js';
import { groupView } from './queries.js';
import type { UpdateGroupBody } from './schemas.js';
import { auditGroup, groupContext, groupTarget, onWhatsApp } from './service.js';
import { toOutcomes, type ApiGroup, type ApiOutcome } from './view.js';

/** Creates a group with the device as its creator; one outcome per participant asked. */
export async function createGroup(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  body: { subject: string; participants: string[] },
): Promise<{ group: ApiGroup; participants: ApiOutcome[] }> {
  const ctx = await groupContext(deps, actor, deviceId, 'groups.manage');
  const asked = parseParticipants(body.participants);
  const subject = body.subject.trim();
  const { group, refused } = await onWhatsApp(deps, ctx, undefined, (g) => g.create(subject, asked));
  const participants = toOutcomes('add', asked, refused, 200);
  await auditGroup(deps, ctx, 'group.create', { group_jid: group.jid, subject, participants });
  return { group: await groupView(deps, ctx, group.jid, group), participants };
}

function toChanges(body: Static<typeof UpdateGroupBody>): GroupChanges {
  return {
    subject: body.subject?.trim(),
    description: body.description === undefined ? undefined : body.description === '' ? null : body.description,
    announce: body.announce,
    locked: body.locked,
    ephemeralSeconds: body.ephemeral_seconds,
    memberAddMode: body.member_add_mode,
    joinApproval: body.join_approval,
  };
}

/** Subject, description and settings, in that order; a refusal stops there (the earlier changes stay made). */
export async function updateGroup(deps: Deps, actor: Actor, deviceId: string, group: string, body: Static<typeof UpdateGroupBody>): Promise<ApiGroup> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.update(ctx.groupJid, toChanges(body)));
  await auditGroup(deps, ctx, 'group.update', { group_jid: ctx.groupJid, changes: body });
  return groupView(deps, ctx, ctx.groupJid);
}

export async function changeParticipants(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  group: string,
  body: { action: GroupParticipantAction; participants: string[] },
): Promise<ApiOutcome[]> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  const asked = parseParticipants(body.participants);
  const results = await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.updateParticipants(ctx.groupJid, body.action, asked));
  const outcomes = toOutcomes(body.action, asked, results);
  await auditGroup(deps, ctx, `group.participants.${body.action}`, { group_jid: ctx.groupJid, participants: outcomes });
  return outcomes;
}

export async function answerJoinRequests(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  group: string,
  body: { action: 'approve' | 'reject'; participants: string[] },
): Promise<ApiOutcome[]> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  const asked = parseParticipants(body.participants);
  const results = await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.answerJoinRequests(ctx.groupJid, body.action, asked));
  const outcomes = toOutcomes(body.action, asked, results);
  await auditGroup(deps, ctx, `group.join_requests.${body.action}`, { group_jid: ctx.groupJid, participants: outcomes });
  return outcomes;
}

export async function revokeInvite(deps: Deps, actor: Actor, deviceId: string, group: string): Promise<string> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  const code = await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.revokeInvite(ctx.groupJid));
  await auditGroup(deps, ctx, 'group.invite.revoke', { group_jid: ctx.groupJid });
  return code;
}

export async function joinGroup(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  invite: string,
): Promise<{ state: 'joined' | 'requested'; group_jid: string; group: ApiGroup | null }> {
  const ctx = await groupContext(deps, actor, deviceId, 'groups.manage');
  const code = parseInvite(invite);
  const joined = await onWhatsApp(deps, ctx, undefined, (g) => g.join(code));
  await auditGroup(deps, ctx, 'group.join', { group_jid: joined.groupJid, state: joined.state });
  const group = joined.state === 'joined' ? await groupView(deps, ctx, joined.groupJid) : null;
  return { state: joined.state, group_jid: joined.groupJid, group };
}

/** Leaves the group. WhatsApp answers a leave of a group the number is not in without an error: the group is read first, for the 404. */
export async function leaveGroup(deps: Deps, actor: Actor, deviceId: string, group: string): Promise<void> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  await onWhatsApp(deps, ctx, ctx.groupJid, async (g) => {
    await g.get(ctx.groupJid);
    await g.leave(ctx.groupJid);
  });
  await auditGroup(deps, ctx, 'group.leave', { group_jid: ctx.groupJid });
}
