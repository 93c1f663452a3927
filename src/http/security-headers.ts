import type { FastifyReply, FastifyRequest, RouteOptions, onRequestHookHandler } from 'fastify';
import type { App } from './app-types.js';

/** Answer fields that hold a credential: a token, a webhook secret, or what links a WhatsApp account. */
const SECRET_FIELDS = new Set(['token', 'secret', 'previous_secret', 'qr', 'pairing_code']);

/** True when a JSON schema (any nesting, unions included) has a property named as a secret. */
export function schemaCarriesSecret(schema: unknown, depth = 0): boolean {
  if (!schema || typeof schema !== 'object' || depth > 20) return false;
  const node = schema as Record<string, unknown>;
  const properties = node.properties as Record<string, unknown> | undefined;
  if (properties && Object.keys(properties).some((key) => SECRET_FIELDS.has(key))) return true;
  const children = [...Object.values(properties ?? {}), node.items, ...['anyOf', 'oneOf', 'allOf'].flatMap((k) => (Array.isArray(node[k]) ? node[k] : []))];
  return children.some((child) => schemaCarriesSecret(child, depth + 1));
}

/** Also called for the errors Fastify answers before routing (a malformed URL), which skip the hooks. */
export function setNoSniff(reply: FastifyReply): void {
  reply.raw.setHeader('x-content-type-options', 'nosniff');
}

const noStore: onRequestHookHandler = (_req: FastifyRequest, reply: FastifyReply, done: () => void) => {
  reply.header('cache-control', 'no-store');
  done();
};

/**
 * `X-Content-Type-Options: nosniff` on every answer (set on the raw response, so the hijacked
 * event stream has it too), and `Cache-Control: no-store` on every route whose answer schema
 * carries a secret, found from the schemas so that a new route of that kind cannot miss it.
 */
export function registerSecurityHeaders(app: App): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const responses = Object.values((route.schema?.response as Record<string, unknown> | undefined) ?? {});
    if (!responses.some((schema) => schemaCarriesSecret(schema))) return;
    const hooks = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [...hooks, noStore] as RouteOptions['onRequest'];
  });
  app.addHook('onRequest', async (_req, reply) => {
    setNoSniff(reply);
  });
}
