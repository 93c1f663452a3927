import type { Actor } from '../auth/actor.js';
import { can } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { badRequest } from '../lib/errors.js';
import type { GroupInfo } from '../whatsapp/groups.js';
import { INVITE_LINK_PREFIX } from './ids.js';
import { groupContext, groupTarget, onWhatsApp, type GroupContext } from './service.js';
import { roleOf, toGroup, toGroupSummary, toPerson, type ApiGroup, type ApiGroupSummary } from './view.js';

/**
 * Reading groups asks WhatsApp each time (no copy is kept): the list is WhatsApp's whole list
 * (groupFetchAllParticipating), sorted by JID and cut into pages by a cursor that is the last
 * JID of the page before, so a page holds whatever groups follow it at the time it is read.
 */
export async function listGroups(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
): Promise<{ items: ApiGroupSummary[]; nextCursor: string | null }> {
  const after = decodeGroupCursor(query.cursor);
  const ctx = await groupContext(deps, actor, deviceId, 'groups.read');
  const all = await onWhatsApp(deps, ctx, undefined, (g) => g.list());
  const sorted = all.sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0)).filter((g) => after === undefined || g.jid > after);
  const limit = query.limit ?? 50;
  const page = sorted.slice(0, limit);
  return {
    items: page.map((g) => toGroupSummary(g, ctx.me)),
    nextCursor: sorted.length > limit ? Buffer.from(page[page.length - 1]!.jid, 'utf8').toString('base64url') : null,
  };
}

function decodeGroupCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const jid = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[\d-]{5,40}@g\.us$/.test(jid)) throw badRequest('cursor is not valid', 'invalid_cursor');
  return jid;
}

/**
 * The group with its participants; its invite code when the device is an admin of it and the
 * caller may manage groups (the code lets anyone join, so readers below that do not see it).
 */
export async function groupView(deps: Deps, ctx: GroupContext, groupJid: string, info?: GroupInfo): Promise<ApiGroup> {
  const group = info ?? (await onWhatsApp(deps, ctx, groupJid, (g) => g.get(groupJid)));
  const role = roleOf(group, ctx.me);
  const admin = role === 'admin' || role === 'superadmin';
  const code = admin && can(ctx.user, 'groups.manage') ? await onWhatsApp(deps, ctx, groupJid, (g) => g.inviteCode(groupJid)) : null;
  return toGroup(group, ctx.me, code);
}

export async function getGroup(deps: Deps, actor: Actor, deviceId: string, group: string): Promise<ApiGroup> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.read');
  return groupView(deps, ctx, ctx.groupJid);
}

/** The invite code and link: for those who manage groups (anyone with it may join), of a group the device is an admin of (else 403 not_group_admin). */
export async function getInvite(deps: Deps, actor: Actor, deviceId: string, group: string): Promise<{ code: string; link: string }> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  const code = await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.inviteCode(ctx.groupJid));
  return { code, link: INVITE_LINK_PREFIX + code };
}

export async function listJoinRequests(deps: Deps, actor: Actor, deviceId: string, group: string) {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.read');
  const requests = await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.joinRequests(ctx.groupJid));
  return requests.map((r) => ({
    ...toPerson(r.person),
    method: r.method,
    requested_at: r.requestedAt ? new Date(r.requestedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
  }));
}

/** The picture's URL; a group the number is not in answers 404 like every other group read. */
export async function getPicture(deps: Deps, actor: Actor, deviceId: string, group: string): Promise<{ url: string; id: string | null } | null> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.read');
  await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.get(ctx.groupJid));
  return onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.picture(ctx.groupJid));
}
