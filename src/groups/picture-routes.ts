import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, SuccessOnly, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import { getPicture } from './queries.js';
import { MAX_PICTURE_BYTES, removePicture, setPicture } from './picture.js';
import * as S from './schemas.js';
import { GROUP_PATH_NOTE, LIVE } from './schemas.js';

const tags = ['groups'];
const security = USER_ONLY_SECURITY;

export function registerGroupPictureRoutes(app: App, deps: Deps): void {
  app.get(
    '/devices/:id/groups/:group/picture',
    {
      schema: {
        summary: "The group's picture",
        description: `Every role. The picture's URL on WhatsApp's servers (it expires; read it again for a fresh one) and its id, or null when the group has none. ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: S.PictureResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => ({ success: true as const, picture: await getPicture(deps, await requireActor(deps, req), req.params.id, req.params.group) }),
  );

  app.put(
    '/devices/:id/groups/:group/picture',
    {
      bodyLimit: Math.ceil((MAX_PICTURE_BYTES * 4) / 3) + 4096,
      schema: {
        summary: "Set the group's picture",
        description: `Admins and supervisors. A JPEG or PNG image, as \`data\` (base64 or a data URL) or as \`media_id\` (uploaded with POST /media), at most ${MAX_PICTURE_BYTES} bytes (413); WhatsApp shows it as a 640×640 JPEG. 400 media_type_mismatch for anything else. In a locked group the device must be a group admin (403 not_group_admin). ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        body: S.PictureBody,
        response: { 200: SuccessOnly, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => {
      await setPicture(deps, await requireActor(deps, req), req.params.id, req.params.group, req.body);
      return { success: true as const };
    },
  );

  app.delete(
    '/devices/:id/groups/:group/picture',
    {
      schema: {
        summary: "Remove the group's picture",
        description: `Admins and supervisors. ${GROUP_PATH_NOTE} ${LIVE}`,
        tags,
        security,
        params: S.DeviceGroupParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
      },
    },
    async (req) => {
      await removePicture(deps, await requireActor(deps, req), req.params.id, req.params.group);
      return { success: true as const };
    },
  );
}
