import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import { createGroup, updateGroup } from './changes.js';
import { getGroup, listGroups } from './queries.js';
import * as S from './schemas.js';
import { GROUP_PATH_NOTE, LIVE } from './schemas.js';

const tags = ['groups'];
const security = USER_ONLY_SECURITY;

export function registerGroupRoutes(app: App, deps: Deps): void {
  app.get(
    '/devices/:id/groups',
    {
      schema: {
        summary: "List the groups the device's number is in",
        description: `Every role. Asked of WhatsApp at each call (nothing is cached); sorted by JID and paginated by \`cursor\` and \`limit\` like every list. ${LIVE}`,
        tags,
        security,
        params: IdParams,
        querystring: S.GroupListQuery,
        response: { 200: S.GroupListResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => {
      const page = await listGroups(deps, await requireActor(deps, req), req.params.id, req.query);
      return { success: true as const, groups: page.items, next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/devices/:id/groups',
    {
      schema: {
        summary: 'Create a group',
        description: `Admins and supervisors. The device's number is the creator (superadmin). \`participants\` answers one outcome per participant asked: WhatsApp adds some and refuses others (privacy_refused: their privacy setting; not_on_whatsapp; limit_reached). Participants are phone numbers in digits (a leading + allowed) or user JIDs; 400 invalid_participant, duplicate_participant. Answers 201. ${LIVE}`,
        tags,
        security,
        params: IdParams,
        body: S.CreateGroupBody,
        response: { 201: S.CreateGroupResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req, reply) => {
      const created = await createGroup(deps, await requireActor(deps, req), req.params.id, req.body);
      return reply.code(201).send({ success: true as const, ...created });
    },
  );

  app.get(
    '/devices/:id/groups/:group',
    {
      schema: {
        summary: 'Get a group',
        description: `Every role. Subject, description, owner, creation, settings, participants with their roles, the device's own role, and the invite code when the device is an admin of the group and the caller may manage groups (admins, supervisors). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: S.GroupResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({ success: true as const, group: await getGroup(deps, await requireActor(deps, req), req.params.id, req.params.group) }),
  );

  app.put(
    '/devices/:id/groups/:group',
    {
      schema: {
        summary: "Change a group's subject, description or settings",
        description: `Admins and supervisors. Any of: subject, description (null or "" removes it), announce (only admins send), locked (only admins edit the group info), ephemeral_seconds (disappearing messages), member_add_mode, join_approval. Applied in that order; a refusal stops there, the changes before it stay made. Settings need the device to be a group admin (403 not_group_admin); subject, description and the timer too when the group is locked. Answers the group as it now is. ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        body: S.UpdateGroupBody,
        response: { 200: S.GroupResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({
      success: true as const,
      group: await updateGroup(deps, await requireActor(deps, req), req.params.id, req.params.group, req.body),
    }),
  );
}
