import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, SuccessOnly, USER_SECURITY, errorResponses } from '../http/schemas.js';
import { CreateUserBody, ListUsersQuery, UpdateUserBody, UserListResponse, UserResponse } from './schemas.js';
import * as users from './service.js';

const ROLE_RULES =
  "Admins manage every other user of their tenant; supervisors manage agents and viewers only. A change of role also needs permission to assign the new role (admin: any; supervisor: agent or viewer). Nobody changes their own role or deactivates or deletes themselves (403). A tenant keeps at least one active admin (409). Another tenant's user answers 404.";

export function registerUserRoutes(app: App, deps: Deps): void {
  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user',
        description: `Admins create users of any role, supervisors agents and viewers. The master token names the tenant with \`tenant_id\`. The new user logs in with POST /login, which finds users by email alone, so an email belongs to one user across the platform: an email already used, in this tenant or another, answers 409 email_taken. Limited by WUTS_MAX_USERS_PER_TENANT (409).`,
        tags: ['users'],
        security: USER_SECURITY,
        body: CreateUserBody,
        response: { 201: UserResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const actor = await requireActor(deps, req);
      const user = await users.createUser(deps, actor, req.body);
      return reply.code(201).send({ success: true as const, user });
    },
  );

  app.get(
    '/users',
    {
      schema: {
        summary: 'List users',
        description:
          "The users of the caller's tenant (admins and supervisors), oldest first, keyset paginated. The master token names the tenant with `tenant_id`.",
        tags: ['users'],
        security: USER_SECURITY,
        querystring: ListUsersQuery,
        response: { 200: UserListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const page = await users.listUsers(deps, await requireActor(deps, req), req.query);
      return { success: true as const, users: page.items, next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        summary: 'Get a user',
        description: 'Admins and supervisors read any user of their tenant; agents and viewers only themselves.',
        tags: ['users'],
        security: USER_SECURITY,
        params: IdParams,
        response: { 200: UserResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const actor = await requireActor(deps, req);
      return { success: true as const, user: await users.getUser(deps, actor, req.params.id) };
    },
  );

  app.put(
    '/users/:id',
    {
      schema: {
        summary: 'Update a user',
        description: `Updates a WUTS user's active flag and/or role. The caller must have permission to manage the target user; changing a role additionally requires permission for that specific role transition. ${ROLE_RULES} A deactivated user's tokens stop working on the next request; reactivating restores them.`,
        tags: ['users'],
        security: USER_SECURITY,
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: UserResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const actor = await requireActor(deps, req);
      return { success: true as const, user: await users.updateUser(deps, actor, req.params.id, req.body) };
    },
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        summary: 'Delete a user',
        description: `Deletes the user and revokes its tokens. ${ROLE_RULES}`,
        tags: ['users'],
        security: USER_SECURITY,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const actor = await requireActor(deps, req);
      await users.deleteUser(deps, actor, req.params.id);
      return { success: true as const };
    },
  );
}
