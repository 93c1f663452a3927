import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerAuditRoutes } from './audit/routes.js';
import { registerDeadLetterRoutes } from './messages/dead-letter-routes.js';
import { registerAuthRoutes } from './auth/routes.js';
import type { TrustProxy } from './config.js';
import type { Deps } from './deps.js';
import type { App } from './http/app-types.js';
import { handleError, handleNotFound } from './http/errors.js';
import { openApiOptions } from './http/openapi.js';
import { bodyIsOptional } from './http/optional-body.js';
import { RequestLogController, serializeRequest } from './http/request-log.js';
import { registerSecurityHeaders, setNoSniff } from './http/security-headers.js';
import { serverTimeouts } from './http/server-options.js';
import { makeValidatorCompiler, schemaErrorFormatter } from './http/validation.js';
import { badRequest } from './lib/errors.js';
import { isUuid } from './lib/ids.js';
import { registerMetrics } from './metrics/routes.js';
import { registerPlatformRoutes } from './platform/routes.js';
import { registerDashboardRoutes } from './platform/dashboard-routes.js';
import { registerClusterRoutes } from './cluster/routes.js';
import { registerTenantRoutes } from './tenants/routes.js';
import { registerUserRoutes } from './users/routes.js';
import { registerEventStreamRoutes } from './events/stream-routes.js';
import { registerWebhookRoutes } from './webhooks/routes.js';
import { registerDeviceRoutes } from './devices/routes.js';
import { registerMessageRoutes } from './messages/routes.js';
import { registerMediaRoutes } from './media/routes.js';
import { registerGroupRoutes } from './groups/routes.js';
import { registerGroupMemberRoutes } from './groups/member-routes.js';
import { registerGroupPictureRoutes } from './groups/picture-routes.js';

const NO_QUERY = Type.Object({}, { additionalProperties: false });

/** Body fields that hold ids without an `_id` suffix. */
const ID_FIELDS = new Set(['id', 'reply_to']);
const lowerUuid = (value: unknown) => (typeof value === 'string' && isUuid(value) ? value.toLowerCase() : value);

/** Lower-cases UUIDs in the path, the query and body id fields (and `*_ids` lists), so ids match however the client spelled them. */
function lowerCaseIds(values: unknown, onlyIdFields: boolean): void {
  if (!values || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (onlyIdFields && key.endsWith('_ids') && Array.isArray(value)) record[key] = value.map(lowerUuid);
    if (onlyIdFields && !ID_FIELDS.has(key) && !key.endsWith('_id')) continue;
    record[key] = lowerUuid(value);
  }
}

/** True when a string anywhere in the value holds a NUL character (PostgreSQL text cannot). */
function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 20 || !value || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((v) => hasNul(v, depth + 1));
}

/**
 * WUTS_TRUST_PROXY as Fastify's `trustProxy`. A hop count is a function: Fastify refuses plain
 * numbers, because a client that reaches WUTS without the proxies could choose its address
 * (the README says so).
 */
function fastifyTrustProxy(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if ('addresses' in trust) return trust.addresses;
  return (_address, hop) => hop < trust.hops;
}

/** Builds the API without listening, so tests can `inject` and `serve` can listen. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const fastify = Fastify({
    loggerInstance: deps.logger.child({}, { serializers: { req: serializeRequest } }),
    // request lines at debug (src/http/request-log.ts)
    logController: new RequestLogController(),
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(deps.config.trustProxy),
    ...serverTimeouts(deps.config),
    // a 400 names the field and what it must be (src/http/validation.ts)
    schemaErrorFormatter,
    // Malformed URLs and over-long path parameters fail before routing: same envelope.
    frameworkErrors: (err, req, reply) => {
      setNoSniff(reply);
      handleError(err, req, reply);
    },
  });
  fastify.server.maxConnections = deps.config.maxConnections;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setValidatorCompiler(makeValidatorCompiler());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  // JSON only: any other content type answers 415. An empty body with a JSON content type
  // counts as no body (DELETE clients send these).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    return defaultJson(req, body as string, done);
  });

  registerSecurityHeaders(app);

  // A route without query parameters refuses any (unknown parameters are invalid input).
  app.addHook('onRoute', (route) => {
    route.schema ??= {};
    route.schema.querystring ??= NO_QUERY;
  });

  app.addHook('preValidation', async (req) => {
    // no body (or an empty one) where every field is optional counts as {}: POST /devices/{id}/connect needs none
    if (req.body === undefined && bodyIsOptional(req.routeOptions.schema?.body)) req.body = {};
    if (hasNul(req.params) || hasNul(req.query) || hasNul(req.body)) throw badRequest('text must not contain NUL characters', 'invalid_characters');
    lowerCaseIds(req.params, false);
    lowerCaseIds(req.query, false);
    lowerCaseIds(req.body, true);
  });

  await app.register(swagger, openApiOptions());

  // Identities kept in memory follow changes made on other nodes from now until the app closes.
  deps.identities.start();
  app.addHook('onClose', async () => deps.identities.stop());

  registerMetrics(app, deps);
  registerPlatformRoutes(app, deps);
  registerDashboardRoutes(app, deps);
  registerClusterRoutes(app, deps);
  registerTenantRoutes(app, deps);
  registerAuthRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerDeviceRoutes(app, deps);
  registerMessageRoutes(app, deps);
  registerGroupRoutes(app, deps);
  registerGroupMemberRoutes(app, deps);
  registerGroupPictureRoutes(app, deps);
  await registerMediaRoutes(app, deps);
  registerDeadLetterRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerEventStreamRoutes(app, deps);

  await app.ready();
  return app as unknown as FastifyInstance;
}
