import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, SuccessOnly, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import {
  CreateWebhookBody,
  DeliveryListQuery,
  DeliveryListResponse,
  DeliveryResponse,
  SecretResponse,
  TestResponse,
  UpdateWebhookBody,
  WebhookListQuery,
  WebhookListResponse,
  WebhookResponse,
} from './schemas.js';
import { WebhookLimits } from './limits.js';
import * as webhooks from './service.js';

const tags = ['webhooks'];
const security = USER_ONLY_SECURITY;
const ADMINS = 'Admins only.';
const READERS = 'Admins and supervisors.';

export function registerWebhookRoutes(app: App, deps: Deps): void {
  const limits = new WebhookLimits(deps.config);
  app.get(
    '/webhooks',
    {
      schema: {
        summary: 'List webhooks',
        description: READERS,
        tags,
        security,
        querystring: WebhookListQuery,
        response: { 200: WebhookListResponse, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const page = await webhooks.listWebhooks(deps, await requireActor(deps, req), req.query);
      return { success: true as const, webhooks: page.items, next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/webhooks',
    {
      schema: {
        summary: 'Create a webhook',
        description: `${ADMINS} Every event of the tenant (or those of \`event_types\`, or of one device) is POSTed to \`url\`, signed by the Standard Webhooks scheme with the webhook's secret (GET /webhooks/{id}/secret). At most WUTS_MAX_WEBHOOKS_PER_TENANT per tenant (409).`,
        tags,
        security,
        body: CreateWebhookBody,
        response: { 201: WebhookResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const webhook = await webhooks.createWebhook(deps, await requireActor(deps, req), req.body);
      return reply.code(201).send({ success: true as const, webhook });
    },
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Get a webhook',
        description: READERS,
        tags,
        security,
        params: IdParams,
        response: { 200: WebhookResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, webhook: await webhooks.getWebhook(deps, await requireActor(deps, req), req.params.id) }),
  );

  app.put(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Update a webhook',
        description: `${ADMINS} \`enabled: true\` re-enables a webhook WUTS disabled.`,
        tags,
        security,
        params: IdParams,
        body: UpdateWebhookBody,
        response: { 200: WebhookResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, webhook: await webhooks.updateWebhook(deps, await requireActor(deps, req), req.params.id, req.body) }),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a webhook',
        description: `${ADMINS} Its pending deliveries are dropped.`,
        tags,
        security,
        params: IdParams,
        response: { 200: SuccessOnly, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await webhooks.deleteWebhook(deps, await requireActor(deps, req), req.params.id);
      return { success: true as const };
    },
  );

  app.get(
    '/webhooks/:id/secret',
    {
      schema: {
        summary: "The webhook's signing secret",
        description: ADMINS,
        tags,
        security,
        params: IdParams,
        response: { 200: SecretResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, ...(await webhooks.getSecret(deps, await requireActor(deps, req), req.params.id)) }),
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      schema: {
        summary: 'Rotate the signing secret',
        description: `${ADMINS} A new secret signs from now on; the old one signs too (two signatures in webhook-signature) for WUTS_WEBHOOK_SECRET_GRACE_HOURS.`,
        tags,
        security,
        params: IdParams,
        response: { 200: SecretResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, ...(await webhooks.rotateSecret(deps, await requireActor(deps, req), req.params.id)) }),
  );

  app.post(
    '/webhooks/:id/test',
    {
      schema: {
        summary: 'Send a test event',
        description: `${ADMINS} Queues a \`webhook.test\` event for this webhook only, whatever its filters. Rate limited per webhook (WUTS_WEBHOOK_TESTS_PER_MINUTE, 429).`,
        tags,
        security,
        params: IdParams,
        response: { 202: TestResponse, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) =>
      reply.code(202).send({ success: true as const, ...(await webhooks.sendTest(deps, limits, await requireActor(deps, req), req.params.id)) }),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: "A webhook's deliveries",
        description: `${READERS} Newest first, each with its latest attempts (time, status code, latency, error).`,
        tags,
        security,
        params: IdParams,
        querystring: DeliveryListQuery,
        response: { 200: DeliveryListResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const page = await webhooks.listDeliveries(deps, await requireActor(deps, req), req.params.id, req.query);
      return { success: true as const, deliveries: page.items, next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/deliveries/:id/retry',
    {
      schema: {
        summary: 'Deliver again',
        description: `${ADMINS} Sends the delivery again now, with the same webhook-id. 409 while it is being sent. Rate limited per tenant (WUTS_DELIVERY_RETRIES_PER_MINUTE, 429).`,
        tags,
        security,
        params: IdParams,
        response: { 202: DeliveryResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (req, reply) =>
      reply.code(202).send({ success: true as const, delivery: await webhooks.retryDelivery(deps, limits, await requireActor(deps, req), req.params.id) }),
  );
}
