import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, SuccessOnly, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import { answerJoinRequests, changeParticipants, joinGroup, leaveGroup, revokeInvite } from './changes.js';
import { INVITE_LINK_PREFIX } from './ids.js';
import { getInvite, listJoinRequests } from './queries.js';
import * as S from './schemas.js';
import { GROUP_PATH_NOTE, LIVE } from './schemas.js';

const tags = ['groups'];
const security = USER_ONLY_SECURITY;
const MANAGERS = 'Admins and supervisors.';

/** Participants, invites, joining, join requests and leaving. */
export function registerGroupMemberRoutes(app: App, deps: Deps): void {
  app.post(
    '/devices/:id/groups/:group/participants',
    {
      schema: {
        summary: 'Add, remove, promote or demote participants',
        description: `${MANAGERS} Answers 200 with one outcome per participant asked, because WhatsApp refuses some: privacy_refused (their privacy setting), not_on_whatsapp, already_participant, not_a_participant, not_allowed (e.g. removing the creator), limit_reached. Participants are phone numbers or user JIDs (at most 50; 400 invalid_participant, duplicate_participant). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        body: S.ParticipantsBody,
        response: { 200: S.ParticipantsResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({
      success: true as const,
      participants: await changeParticipants(deps, await requireActor(deps, req), req.params.id, req.params.group, req.body),
    }),
  );

  app.get(
    '/devices/:id/groups/:group/invite',
    {
      schema: {
        summary: "The group's invite code and link",
        description: `${MANAGERS} Anyone with the link may join (or ask to, with join approval on). The device must be a group admin (403 not_group_admin). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: S.InviteResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({ success: true as const, invite: await getInvite(deps, await requireActor(deps, req), req.params.id, req.params.group) }),
  );

  app.post(
    '/devices/:id/groups/:group/invite',
    {
      schema: {
        summary: 'Revoke the invite link: a new code',
        description: `${MANAGERS} The old code stops working; answers the new one. The device must be a group admin (403 not_group_admin). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: S.InviteResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => {
      const code = await revokeInvite(deps, await requireActor(deps, req), req.params.id, req.params.group);
      return { success: true as const, invite: { code, link: INVITE_LINK_PREFIX + code } };
    },
  );

  app.post(
    '/devices/:id/groups/join',
    {
      schema: {
        summary: 'Join a group by invite code or link',
        description: `${MANAGERS} \`invite\` is the code or the link (https://chat.whatsapp.com/<code>; 400 invalid_invite). state joined (with the group), or requested when the group needs an admin's approval. 404 invite_not_found: no group has this code (unknown or revoked). ${LIVE}`,
        tags,
        security,
        params: IdParams,
        body: S.JoinBody,
        response: { 200: S.JoinResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({ success: true as const, ...(await joinGroup(deps, await requireActor(deps, req), req.params.id, req.body.invite)) }),
  );

  app.get(
    '/devices/:id/groups/:group/join-requests',
    {
      schema: {
        summary: 'Pending requests to join',
        description: `Every role. The device must be a group admin (403 not_group_admin). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: S.JoinRequestsResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({ success: true as const, requests: await listJoinRequests(deps, await requireActor(deps, req), req.params.id, req.params.group) }),
  );

  app.post(
    '/devices/:id/groups/:group/join-requests',
    {
      schema: {
        summary: 'Approve or reject requests to join',
        description: `${MANAGERS} One outcome per participant asked (approved, rejected, or no_request when that user has not asked). The device must be a group admin (403 not_group_admin). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        body: S.JoinRequestsBody,
        response: { 200: S.ParticipantsResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({
      success: true as const,
      participants: await answerJoinRequests(deps, await requireActor(deps, req), req.params.id, req.params.group, req.body),
    }),
  );

  app.post(
    '/devices/:id/groups/:group/leave',
    {
      schema: {
        summary: 'Leave a group',
        description: `${MANAGERS} ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => {
      await leaveGroup(deps, await requireActor(deps, req), req.params.id, req.params.group);
      return { success: true as const };
    },
  );
}
