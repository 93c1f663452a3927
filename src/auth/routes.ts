import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { BODY_ERRORS, IdParams, SuccessOnly, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import { requireUser } from './authenticate.js';
import {
  ChangePasswordBody,
  CreateTokenBody,
  CreateTokenResponse,
  LoginBody,
  LoginResponse,
  MeResponse,
  TokenListQuery,
  TokenListResponse,
} from './schemas.js';
import * as auth from './service.js';

export function registerAuthRoutes(app: App, deps: Deps): void {
  app.post(
    '/login',
    {
      schema: {
        summary: 'Log in with email and password',
        description:
          'Answers a new session token that expires after WUTS_SESSION_TTL_HOURS. An unknown email, a wrong password and a deactivated user (whatever password it gives) answer the same 401. Password checks are limited per account and per client address: each counts before it runs, and past the limit the answer is 429 with Retry-After, also for the right password, until the window ends; a successful login clears the count of the account.',
        tags: ['auth'],
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 429) },
      },
    },
    async (req) => {
      const result = await auth.login(deps, req.body, req.ip);
      return { success: true as const, ...result };
    },
  );

  app.post(
    '/logout',
    {
      schema: {
        summary: 'Revoke the token used for this request',
        tags: ['auth'],
        security: USER_ONLY_SECURITY,
        response: { 200: SuccessOnly, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      await auth.logout(deps, await requireUser(deps, req));
      return { success: true as const };
    },
  );

  app.get(
    '/me',
    {
      schema: {
        summary: 'The calling user',
        tags: ['auth'],
        security: USER_ONLY_SECURITY,
        response: { 200: MeResponse, ...errorResponses(401, 403) },
      },
    },
    async (req) => ({ success: true as const, user: await auth.me(deps, await requireUser(deps, req)) }),
  );

  app.put(
    '/me/password',
    {
      schema: {
        summary: "Change the calling user's password",
        description:
          "Needs the current password (403 when wrong; wrong guesses count as failed logins of the account, 429). Ends the user's other login sessions; API tokens stay valid.",
        tags: ['auth'],
        security: USER_ONLY_SECURITY,
        body: ChangePasswordBody,
        response: { 200: SuccessOnly, ...errorResponses(...BODY_ERRORS, 401, 403, 429) },
      },
    },
    async (req) => {
      await auth.changePassword(deps, await requireUser(deps, req), req.body);
      return { success: true as const };
    },
  );

  app.get(
    '/me/tokens',
    {
      schema: {
        summary: "List the calling user's live tokens",
        description: 'Name, kind, last 4 characters, created, last used and expiry; never the token itself.',
        tags: ['auth'],
        security: USER_ONLY_SECURITY,
        querystring: TokenListQuery,
        response: { 200: TokenListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const page = await auth.listTokens(deps, await requireUser(deps, req), req.query);
      return { success: true as const, tokens: page.items, next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/me/tokens',
    {
      schema: {
        summary: 'Create an API token',
        description: 'The token is shown once, in this answer. At most WUTS_MAX_TOKENS_PER_USER live API tokens per user (409).',
        tags: ['auth'],
        security: USER_ONLY_SECURITY,
        body: CreateTokenBody,
        response: { 201: CreateTokenResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const created = await auth.createApiToken(deps, await requireUser(deps, req), req.body);
      return reply.code(201).send({ success: true as const, token: created.token, api_token: created.info });
    },
  );

  app.delete(
    '/me/tokens/:id',
    {
      schema: {
        summary: "Revoke one of the calling user's tokens",
        tags: ['auth'],
        security: USER_ONLY_SECURITY,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.revokeToken(deps, await requireUser(deps, req), req.params.id);
      return { success: true as const };
    },
  );
}
