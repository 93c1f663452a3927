import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireMaster } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, MASTER_SECURITY, SuccessOnly, errorResponses } from '../http/schemas.js';
import { ListTenantsQuery, RegisterBody, RegisterResponse, TenantListResponse, TenantResponse, UpdateTenantBody } from './schemas.js';
import * as tenants from './service.js';

export function registerTenantRoutes(app: App, deps: Deps): void {
  app.post(
    '/register',
    {
      schema: {
        summary: 'Register a new tenant',
        description:
          'Provisions a brand-new WUTS tenant together with its first administrator user and authentication token. The first user of a tenant is always promoted to the admin role, and an optional webhook URL can be pre-staged to auto-configure when the tenant connects its first WhatsApp device. This is a master-token-only operation.',
        tags: ['platform'],
        security: MASTER_SECURITY,
        body: RegisterBody,
        response: { 201: RegisterResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const registration = await tenants.register(deps, await requireMaster(deps, req), req.body);
      return reply.code(201).send({ success: true as const, ...registration });
    },
  );

  app.get(
    '/tenants',
    {
      schema: {
        summary: 'List all tenants',
        description:
          'Returns every tenant registered on the WUTS platform. This master-token-only endpoint is used by platform operators to audit and manage the full tenant base. Oldest first, keyset paginated, with counts of users and devices; filter by name prefix and by active.',
        tags: ['platform'],
        security: MASTER_SECURITY,
        querystring: ListTenantsQuery,
        response: { 200: TenantListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const page = await tenants.listTenants(deps, await requireMaster(deps, req), req.query);
      return { success: true as const, tenants: page.items, next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/tenants/:id',
    {
      schema: {
        summary: 'Get a tenant',
        tags: ['platform'],
        security: MASTER_SECURITY,
        params: IdParams,
        response: { 200: TenantResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      return { success: true as const, tenant: await tenants.getTenant(deps, await requireMaster(deps, req), req.params.id) };
    },
  );

  app.put(
    '/tenants/:id',
    {
      schema: {
        summary: 'Rename, suspend or reactivate a tenant',
        description: "A suspended tenant (`active: false`) keeps its data; its users' tokens answer 403 until it is reactivated.",
        tags: ['platform'],
        security: MASTER_SECURITY,
        params: IdParams,
        body: UpdateTenantBody,
        response: { 200: TenantResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      return { success: true as const, tenant: await tenants.updateTenant(deps, await requireMaster(deps, req), req.params.id, req.body) };
    },
  );

  app.delete(
    '/tenants/:id',
    {
      schema: {
        summary: 'Delete a tenant',
        description: 'Removes the tenant and every row of it: users, tokens, devices, its audit entries. The platform audit log records the deletion.',
        tags: ['platform'],
        security: MASTER_SECURITY,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await tenants.deleteTenant(deps, await requireMaster(deps, req), req.params.id);
      return { success: true as const };
    },
  );
}
