import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { GroupChanges, GroupSendRequest } from '../group-service.js';
import { LIMITS, type AccountPrivacy } from '../model.js';
import type { EmulatorService } from '../service.js';
import * as G from './group-schemas.js';
import { groupView, outcomeView, privacyView, requestView } from './group-views.js';
import * as M from './message-schemas.js';
import * as S from './schemas.js';
import { ok, receivedView, sentView } from './views.js';

const errors = { 400: S.ErrorBody, 403: S.ErrorBody, 404: S.ErrorBody, 409: S.ErrorBody };
const tags = ['emulator groups'];
type GroupParams = { phone: string; group: string };

const REFUSALS =
  '404 account_not_found, group_not_found; 403 not_a_participant (the account is not in the group), not_an_admin (only admins may do this; with `locked`, editing the group info too).';

/** Groups, as one account (its phone) acting in them: the admin API's side of groups/. */
export function groupRoutes(app: FastifyInstance, service: EmulatorService): void {
  const groups = service.groups;
  const view = (group: Parameters<typeof groupView>[0], phone: string) => groupView(group, phone, groups, (p) => service.hub.registry.get(p));
  const outcomes = (results: ReturnType<typeof groups.participants>, asked: string[]) => results.map((r, i) => outcomeView(r, asked[i] ?? ''));

  app.get<{ Params: { phone: string } }>(
    '/admin/accounts/:phone/groups',
    {
      schema: {
        tags,
        summary: 'The groups the account is a participant of, with their participants and roles',
        params: S.PhoneParams,
        response: { 200: Type.Object({ success: Type.Literal(true), groups: Type.Array(G.Group) }), ...errors },
      },
    },
    async (req) => ok({ groups: groups.list(req.params.phone).map((g) => view(g, req.params.phone)) }),
  );

  app.post<{ Params: { phone: string }; Body: { subject: string; participants: string[]; addressing_mode?: 'pn' | 'lid' } }>(
    '/admin/accounts/:phone/groups',
    {
      schema: {
        tags,
        summary: 'Create a group: the account is its creator (superadmin); the participants it may add are added',
        description:
          'Every participant device (the creator’s included) gets the w:gp2 create notification (Baileys: groups.upsert). ' +
          '`participants` answers one outcome per phone asked: 200, 403 (its privacy refuses the creator), 404 (no such account), 409 (named twice), 500 (in too many groups). ' +
          `Answers 201. 400 invalid_subject; 409 too_many_groups (at most ${LIMITS.groupsPerAccount} per account, ${LIMITS.groups} in all).`,
        params: S.PhoneParams,
        body: G.CreateGroupBody,
        response: { 201: Type.Object({ success: Type.Literal(true), group: G.Group, participants: Type.Array(G.ParticipantOutcome) }), ...errors },
      },
    },
    async (req, reply) => {
      const asked = req.body.participants.filter((p) => p !== req.params.phone);
      const { group, results } = groups.create(req.params.phone, req.body.subject, req.body.participants, req.body.addressing_mode);
      return reply.status(201).send(ok({ group: view(group, req.params.phone), participants: outcomes(results, asked) }));
    },
  );

  app.post<{ Body: { code: string }; Params: { phone: string } }>(
    '/admin/accounts/:phone/groups/join',
    {
      schema: {
        tags,
        summary: 'Join a group by its invite code (groupAcceptInvite); with join approval on, ask to join instead',
        description:
          '`state`: joined (the participants are told: add), requested (the admins are told: Baileys group.join-request; an admin approves or rejects), or already_participant. ' +
          '404 invalid_invite_code (unknown or revoked); 409 group_full.',
        params: S.PhoneParams,
        body: G.JoinBody,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            state: Type.Union([Type.Literal('joined'), Type.Literal('requested'), Type.Literal('already_participant')]),
            group_id: Type.String(),
            group: Type.Optional(G.Group),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { group, state } = groups.join(req.params.phone, req.body.code);
      return ok({ state, group_id: `${group.id}@g.us`, ...(state === 'requested' ? {} : { group: view(group, req.params.phone) }) });
    },
  );

  app.get<{ Params: GroupParams }>(
    '/admin/accounts/:phone/groups/:group',
    {
      schema: {
        tags,
        summary: 'A group the account is a participant of (its admins also see the invite code and pending requests)',
        description: REFUSALS,
        params: G.GroupParams,
        response: { 200: Type.Object({ success: Type.Literal(true), group: G.Group }), ...errors },
      },
    },
    async (req) => ok({ group: view(groups.get(req.params.phone, req.params.group), req.params.phone) }),
  );

  app.patch<{ Params: GroupParams; Body: GroupChanges }>(
    '/admin/accounts/:phone/groups/:group',
    {
      schema: {
        tags,
        summary: 'Change the subject, description or settings of a group',
        description:
          'Each change is made in the order subject, description, announce, locked, ephemeral, member_add_mode, join_approval and notified to every participant device (w:gp2 subject, description, announcement/not_announcement, locked/unlocked, ephemeral/not_ephemeral, member_add_mode, membership_approval_mode; Baileys: groups.update). ' +
          'Baileys 7.0.0-rc14 keeps only the first groups.update per group of one event-buffer flush, so its clients may see one of several changes made in one call: change one thing per call when a client must see each. ' +
          'Settings (announce, locked, member_add_mode, join_approval) are for admins; subject, description and ephemeral for any participant unless the group is locked. A refusal stops at that change. ' +
          `400 invalid_request (no change), invalid_subject. ${REFUSALS}`,
        params: G.GroupParams,
        body: G.UpdateGroupBody,
        response: { 200: Type.Object({ success: Type.Literal(true), group: G.Group }), ...errors },
      },
    },
    async (req) => ok({ group: view(groups.update(req.params.phone, req.params.group, req.body), req.params.phone) }),
  );

  app.post<{ Params: GroupParams; Body: { action: 'add' | 'remove' | 'promote' | 'demote'; participants: string[] } }>(
    '/admin/accounts/:phone/groups/:group/participants',
    {
      schema: {
        tags,
        summary: 'Add, remove, promote or demote participants (admins; anyone may add with member_add_mode all_member_add)',
        description:
          'One outcome per phone (see ParticipantOutcome): an add refused by the user’s privacy is 403, the others are still added. Added users get the group (w:gp2 create: groups.upsert) and every participant the change (add, remove, promote, demote: group-participants.update). ' +
          `When the last admin goes, the longest participant is made admin. ${REFUSALS}`,
        params: G.GroupParams,
        body: G.ParticipantsBody,
        response: {
          200: Type.Object({ success: Type.Literal(true), participants: Type.Array(G.ParticipantOutcome), group: Type.Union([G.Group, Type.Null()]) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { phone, group: id } = req.params;
      const results = groups.participants(phone, id, req.body.action, req.body.participants);
      const group = groups.find(id);
      return ok({ participants: outcomes(results, req.body.participants), group: group && groups.isParticipant(phone, group) ? view(group, phone) : null });
    },
  );

  app.get<{ Params: GroupParams }>(
    '/admin/accounts/:phone/groups/:group/invite',
    {
      schema: {
        tags,
        summary: 'The group’s invite code and link (admins)',
        description: REFUSALS,
        params: G.GroupParams,
        response: { 200: Type.Object({ success: Type.Literal(true), code: Type.String(), link: Type.String() }), ...errors },
      },
    },
    async (req) => {
      const code = groups.inviteCode(req.params.phone, req.params.group);
      return ok({ code, link: `https://chat.whatsapp.com/${code}` });
    },
  );

  app.post<{ Params: GroupParams }>(
    '/admin/accounts/:phone/groups/:group/invite/revoke',
    {
      schema: {
        tags,
        summary: 'Reset the invite link (admins): the old code joins nobody any more; the admins are told (w:gp2 invite)',
        description: REFUSALS,
        params: G.GroupParams,
        response: { 200: Type.Object({ success: Type.Literal(true), code: Type.String(), link: Type.String() }), ...errors },
      },
    },
    async (req) => {
      const code = groups.revokeInvite(req.params.phone, req.params.group);
      return ok({ code, link: `https://chat.whatsapp.com/${code}` });
    },
  );

  app.get<{ Params: GroupParams }>(
    '/admin/accounts/:phone/groups/:group/requests',
    {
      schema: {
        tags,
        summary: 'Pending requests to join (admins)',
        description: REFUSALS,
        params: G.GroupParams,
        response: { 200: Type.Object({ success: Type.Literal(true), requests: Type.Array(G.JoinRequest) }), ...errors },
      },
    },
    async (req) => ok({ requests: groups.requests(req.params.phone, req.params.group).map(requestView) }),
  );

  app.post<{ Params: GroupParams; Body: { action: 'approve' | 'reject'; participants: string[] } }>(
    '/admin/accounts/:phone/groups/:group/requests',
    {
      schema: {
        tags,
        summary: 'Approve (add) or reject requests to join (admins)',
        description: `One outcome per phone: 200, 404 (no pending request), 500 (group full). Approved users get the group and the participants the add; a rejection is told to the admins and the requester. ${REFUSALS}`,
        params: G.GroupParams,
        body: G.RequestsActionBody,
        response: { 200: Type.Object({ success: Type.Literal(true), participants: Type.Array(G.ParticipantOutcome) }), ...errors },
      },
    },
    async (req) =>
      ok({ participants: outcomes(groups.answerRequests(req.params.phone, req.params.group, req.body.action, req.body.participants), req.body.participants) }),
  );

  app.delete<{ Params: GroupParams }>(
    '/admin/accounts/:phone/groups/:group/requests',
    {
      schema: {
        tags,
        summary: 'Withdraw the account’s own request to join',
        description: '404 request_not_found, group_not_found, account_not_found.',
        params: G.GroupParams,
        response: { 200: Type.Object({ success: Type.Literal(true) }), ...errors },
      },
    },
    async (req) => {
      groups.cancelRequest(req.params.phone, req.params.group);
      return ok({});
    },
  );

  app.post<{ Params: GroupParams }>(
    '/admin/accounts/:phone/groups/:group/leave',
    {
      schema: {
        tags,
        summary: 'Leave the group: every participant device (the leaver’s included) gets the remove; a group left empty is gone',
        description: REFUSALS,
        params: G.GroupParams,
        response: { 200: Type.Object({ success: Type.Literal(true) }), ...errors },
      },
    },
    async (req) => {
      groups.leave(req.params.phone, req.params.group);
      return ok({});
    },
  );

  app.post<{ Params: GroupParams; Body: GroupSendRequest }>(
    '/admin/accounts/:phone/groups/:group/messages',
    {
      bodyLimit: Math.ceil(LIMITS.sendMediaBytes / 3) * 4 + LIMITS.httpBodyBytes,
      schema: {
        tags,
        summary: 'Send to the group from the account (its phone client: sender key, skmsg), optionally mentioning participants',
        description:
          'Takes what POST /admin/accounts/{phone}/messages takes (text, location, contact, poll, media), without `to` and quotes, and `mentions` (phone numbers). ' +
          'The sent record keeps `receipts`, one per other participant (delivered_at, read_at); its status is delivered (read) once every one has. ' +
          'In an announcement group a non-admin’s message is refused by the server (ack error 403): status failed, error "refused by the server: error 403". 404 mention_not_found (a mention names no account). ' +
          `Answers 201. ${REFUSALS}`,
        params: G.GroupParams,
        body: G.GroupSendBody,
        response: { 201: Type.Object({ success: Type.Literal(true), message: M.Sent }), ...errors, 502: S.ErrorBody },
      },
    },
    async (req, reply) => reply.status(201).send(ok({ message: sentView(await groups.send(req.params.phone, req.params.group, req.body)) })),
  );

  app.get<{ Params: GroupParams; Querystring: { limit?: number } }>(
    '/admin/accounts/:phone/groups/:group/messages',
    {
      schema: {
        tags,
        summary: 'The group messages the account received (with the sender and mentions) and sent (with per-participant receipts); newest last',
        description: 'Also in GET /admin/accounts/{phone}/messages, marked with `group`. Works after the account left the group.',
        params: G.GroupParams,
        querystring: S.LimitQuery,
        response: { 200: Type.Object({ success: Type.Literal(true), received: Type.Array(M.Received), sent: Type.Array(M.Sent) }), ...errors },
      },
    },
    async (req) => {
      const account = service.account(req.params.phone);
      const jid = req.params.group.includes('@') ? req.params.group : `${req.params.group}@g.us`;
      const limit = req.query.limit ?? 50;
      return ok({
        received: account.received
          .filter((m) => m.group === jid)
          .slice(-limit)
          .map(receivedView),
        sent: account.sent
          .filter((m) => m.toJid === jid)
          .slice(-limit)
          .map(sentView),
      });
    },
  );

  app.get<{ Params: { phone: string } }>(
    '/admin/accounts/:phone/privacy',
    {
      schema: {
        tags,
        summary: 'The account’s privacy: who may add it to groups, and its contacts',
        params: S.PhoneParams,
        response: { 200: Type.Object({ success: Type.Literal(true), privacy: G.Privacy }), ...errors },
      },
    },
    async (req) => ok({ privacy: privacyView(groups.privacy(req.params.phone)) }),
  );

  app.put<{ Params: { phone: string }; Body: { group_add: AccountPrivacy['groupAdd']; contacts?: string[] } }>(
    '/admin/accounts/:phone/privacy',
    {
      schema: {
        tags,
        summary: 'Set who may add the account to groups (everyone, contacts, nobody) and its contacts',
        description:
          'An add the setting refuses answers the per-participant error 403 to the adder (Baileys: groupParticipantsUpdate status "403"); the account can still join by invite link. Its own clients read it in the privacy IQ (groupadd: all, contacts, none).',
        params: S.PhoneParams,
        body: G.PrivacyBody,
        response: { 200: Type.Object({ success: Type.Literal(true), privacy: G.Privacy }), ...errors },
      },
    },
    async (req) => ok({ privacy: privacyView(groups.setPrivacy(req.params.phone, req.body.group_add, req.body.contacts)) }),
  );
}
