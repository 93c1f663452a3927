import { getBinaryNodeChild, type BinaryNode } from '../baileys.js';
import type { AccountRecord } from '../model.js';
import type { Hub } from '../wire/hub.js';
import type { IqRoute, IqRoutes } from '../wire/iq-handlers.js';
import { bytes, children, iqError, iqResult } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import { GroupActions, type GroupSetting, type GroupTarget, type ParticipantAction, type ParticipantResult } from './group-actions.js';
import { GroupError } from './group-error.js';
import { groupNode, participantNode } from './group-nodes.js';
import { groupJid } from './group-store.js';

type Handler = (actor: AccountRecord, iq: BinaryNode, child: BinaryNode) => BinaryNode[] | undefined;

/**
 * The `w:g2` IQs Baileys' groups socket sends (groupCreate, groupMetadata, groupFetchAllParticipating,
 * groupParticipantsUpdate, groupUpdateSubject/Description, groupSettingUpdate, groupToggleEphemeral,
 * groupMemberAddMode, groupJoinApprovalMode, groupInviteCode, groupRevokeInvite, groupAcceptInvite,
 * groupGetInviteInfo, groupRequestParticipantsList, groupRequestParticipantsUpdate, groupLeave),
 * answered as Baileys parses them. A refusal is `<error code text>`: 404 no such group, 403 not a
 * participant, 401 not an admin, 406 bad invite code, 409 stale description, 400 bad request.
 */
export function groupIqRoutes(hub: Hub, groups: GroupActions): IqRoutes {
  const targets = (node: BinaryNode | undefined): GroupTarget[] =>
    children(node, 'participant').map((p) => ({ jid: p.attrs.jid ?? '', account: p.attrs.jid ? hub.registry.resolve(p.attrs.jid)?.account : undefined }));
  const results = (tag: string, list: ParticipantResult[]): BinaryNode[] => [
    { tag, attrs: {}, content: list.map((r) => ({ tag: 'participant', attrs: { jid: r.jid, ...(r.code === 200 ? {} : { error: String(r.code) }) } })) },
  ];
  const target = (iq: BinaryNode) => groups.group(iq.attrs.to ?? '');

  const handlers: Record<string, Handler> = {
    'set create': (actor, _iq, child) => {
      const { group, results: added } = groups.create(actor, child.attrs.subject ?? '', targets(child));
      const refused = added.filter((r) => r.code !== 200).map((r) => ({ tag: 'participant', attrs: { jid: r.jid, error: String(r.code) } }));
      return [groupNode(hub, group, refused)];
    },
    'get query': (actor, iq) => [groupNode(hub, groups.memberView(actor, iq.attrs.to ?? ''))],
    'get participating': (actor) => [{ tag: 'groups', attrs: {}, content: groups.store.of(actor.phone).map((g) => groupNode(hub, g)) }],
    'set subject': (actor, iq, child) => {
      groups.setSubject(actor, target(iq), bytes(child)?.toString('utf8') ?? '');
      return undefined;
    },
    'set description': (actor, iq, child) => {
      const body = bytes(getBinaryNodeChild(child, 'body'))?.toString('utf8');
      const text = child.attrs.delete === 'true' ? null : (body ?? null);
      groups.setDescription(actor, target(iq), text, child.attrs.prev, child.attrs.id);
      return undefined;
    },
    'set ephemeral': (actor, iq, child) => {
      groups.setEphemeral(actor, target(iq), Number(child.attrs.expiration ?? 0) || 0);
      return undefined;
    },
    'set not_ephemeral': (actor, iq) => {
      groups.setEphemeral(actor, target(iq), 0);
      return undefined;
    },
    'set member_add_mode': (actor, iq, child) => {
      const mode = bytes(child)?.toString('utf8');
      if (mode !== 'admin_add' && mode !== 'all_member_add')
        throw new GroupError(400, 'bad-request', 'invalid_setting', 'member_add_mode is admin_add or all_member_add');
      groups.setMemberAddMode(actor, target(iq), mode);
      return undefined;
    },
    'set membership_approval_mode': (actor, iq, child) => {
      const state = getBinaryNodeChild(child, 'group_join')?.attrs.state;
      if (state !== 'on' && state !== 'off') throw new GroupError(400, 'bad-request', 'invalid_setting', 'group_join state is on or off');
      groups.setJoinApproval(actor, target(iq), state === 'on');
      return undefined;
    },
    'get invite': (actor, iq, child) => {
      // with a code: what the code opens (groupGetInviteInfo); without: the group's code (groupInviteCode)
      if (child.attrs.code) return [groupNode(hub, groups.byInvite(child.attrs.code))];
      return [{ tag: 'invite', attrs: { code: groups.inviteCode(actor, target(iq)) } }];
    },
    'set invite': (actor, iq, child) => {
      if (!child.attrs.code) return [{ tag: 'invite', attrs: { code: groups.revokeInvite(actor, target(iq)) } }];
      const { group, state } = groups.acceptInvite(actor, child.attrs.code);
      return [{ tag: state === 'requested' ? 'membership_approval_request' : 'group', attrs: { jid: groupJid(group) } }];
    },
    'get membership_approval_requests': (actor, iq) => {
      const group = target(iq);
      const list = groups.requests(actor, group).map((r) => {
        const node = participantNode(hub, group, { phone: r.phone });
        return { tag: 'membership_approval_request', attrs: { ...node.attrs, request_method: r.method, request_time: String(r.at) } };
      });
      return [{ tag: 'membership_approval_requests', attrs: {}, content: list }];
    },
    'set membership_requests_action': (actor, iq, child) => {
      const group = target(iq);
      const action = children(child).find((c) => c.tag === 'approve' || c.tag === 'reject');
      if (!action) throw new GroupError(400, 'bad-request', 'invalid_request', 'membership_requests_action needs approve or reject');
      const list = groups.answerRequests(actor, group, action.tag as 'approve' | 'reject', targets(action));
      return [{ tag: 'membership_requests_action', attrs: {}, content: results(action.tag, list) }];
    },
    'set cancel_membership_requests': (actor, iq) => {
      groups.cancelRequest(actor, target(iq));
      return undefined;
    },
    'set leave': (actor, _iq, child) => {
      const left = children(child, 'group').map((g): BinaryNode => {
        try {
          groups.leave(actor, groups.group(g.attrs.id ?? ''));
          return { tag: 'group', attrs: { id: g.attrs.id ?? '' } };
        } catch (err) {
          if (!(err instanceof GroupError)) throw err;
          return { tag: 'group', attrs: { id: g.attrs.id ?? '', error: String(err.iqCode) } };
        }
      });
      return [{ tag: 'leave', attrs: {}, content: left }];
    },
  };
  for (const action of ['add', 'remove', 'promote', 'demote'] as const satisfies readonly ParticipantAction[])
    handlers[`set ${action}`] = (actor, iq, child) => results(action, groups.updateParticipants(actor, target(iq), action, targets(child)));
  for (const setting of ['announcement', 'not_announcement', 'locked', 'unlocked'] as const satisfies readonly GroupSetting[])
    handlers[`set ${setting}`] = (actor, iq) => {
      groups.setSetting(actor, target(iq), setting);
      return undefined;
    };

  const routes: Record<string, IqRoute> = {};
  for (const [key, handler] of Object.entries(handlers)) {
    routes[`w:g2 ${key}`] = {
      handle: (session: WireSession, iq: BinaryNode) => {
        const child = children(iq)[0]!;
        try {
          return iqResult(iq, handler(session.account!, iq, child));
        } catch (err) {
          if (!(err instanceof GroupError)) throw err;
          hub.logger.debug({ iq: key, to: iq.attrs.to, code: err.iqCode, reason: err.message }, 'group iq refused');
          return iqError(iq, err.iqCode, err.iqText);
        }
      },
    };
  }
  return routes;
}
