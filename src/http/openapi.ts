import type { SwaggerOptions } from '@fastify/swagger';
import { catalogComponents } from '../events/catalog.js';
import { markOptionalBodies } from './optional-body.js';

const API_DESCRIPTION =
  'WUTS is a multi-tenant WhatsApp HTTP API. The platform operator uses the master token; tenant users use their own API tokens (wuts_tok_...). Success answers {"success": true, ...}; errors answer {"success": false, "error", "code"}. Lists are keyset paginated with limit (default 50, max 500) and cursor, answering next_cursor.';

/**
 * The groups the reference shows, in its order. Every operation names exactly one of them
 * (test/platform/openapi-reference.test.ts holds it).
 */
export const API_TAGS = [
  { name: 'auth', description: 'logging in, the calling user and its tokens' },
  { name: 'users', description: 'users and roles inside a tenant' },
  { name: 'devices', description: 'WhatsApp numbers linked by QR code or pairing code' },
  { name: 'messages', description: 'sending and the send queue, chats, history, contacts, read receipts, presence' },
  { name: 'media', description: 'media files: uploads to send, and their bytes (ranges, ETag)' },
  { name: 'groups', description: "WhatsApp groups of a device's number: create, read, change, participants, invites, join requests, picture" },
  { name: 'webhooks', description: 'webhooks, their secrets and deliveries (Standard Webhooks signatures)' },
  { name: 'events', description: 'the live event stream; the event catalog is in components.schemas (Event_*)' },
  { name: 'audit', description: 'the audit log' },
  { name: 'platform', description: "the platform operator's endpoints (master token): tenants, the cluster, dead letters" },
  { name: 'operations', description: 'health, readiness, metrics' },
] as const;

/** The options of @fastify/swagger: the document's info, security schemes, tags and event catalog. */
export function openApiOptions(): SwaggerOptions {
  return {
    // a body every field of which is optional may be left out (connect): the document says so
    transformObject: (document) => markOptionalBodies('openapiObject' in document ? document.openapiObject : document.swaggerObject),
    openapi: {
      openapi: '3.1.0',
      info: { title: 'WUTS', version: '0.1.0', description: API_DESCRIPTION },
      components: {
        schemas: catalogComponents() as Record<string, never>,
        securitySchemes: {
          masterToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'Platform master token sent as Authorization: Bearer <master-token>. Required only for Super Admin (cross-tenant) endpoints.',
          },
          metricsToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'WUTS_METRICS_TOKEN sent as Authorization: Bearer <metrics-token>, for GET /metrics only. When WUTS_METRICS_TOKEN is unset, /metrics answers loopback callers without a token.',
          },
          userToken: {
            type: 'http',
            scheme: 'bearer',
            description: "A tenant user's API token sent as Authorization: Bearer wuts_tok_... (from /register, POST /login or POST /me/tokens).",
          },
        },
      },
      tags: API_TAGS.map((tag) => ({ ...tag })),
    },
  };
}

/** A Host header as a URL authority may hold it: a name or IPv4 address, or a bracketed IPv6 address, and a port. */
const AUTHORITY = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The document with `servers` naming the origin the request came in on (`protocol://host`,
 * through trusted proxies' X-Forwarded-Proto/-Host), so "try it" and code samples target the
 * server the reader is on. No Host, or one that is no URL authority, gives the relative server "/".
 */
export function withServers<T extends object>(doc: T, protocol: string, host: string | undefined): T & { servers: { url: string }[] } {
  const url = (protocol === 'http' || protocol === 'https') && host !== undefined && AUTHORITY.test(host) ? `${protocol}://${host}` : '/';
  // `servers` after `openapi` and `info`, where readers of the document look for it.
  return Object.assign({ openapi: undefined, info: undefined, servers: [{ url }] }, doc);
}
