import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../http/app-types.js';
import { withServers } from '../http/openapi.js';
import { scalarBundle } from './docs-assets.js';
import { DOCS_CSP, REFERENCE_SCRIPT_PATH, docsPage, referenceScript, scalarScriptPath } from './docs-page.js';

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const hidden = { schema: { hide: true } };

/** True when the client takes gzip (`Accept-Encoding: gzip`, not refused with q=0). */
function acceptsGzip(req: FastifyRequest): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const refused = params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
    return (coding === 'gzip' || coding === 'x-gzip') && !refused;
  });
}

/**
 * GET /openapi.json (with `servers` naming the origin asked), and the API reference at GET /docs
 * with its two scripts: Scalar's bundle under a versioned name (cached for a year) and its
 * configuration.
 */
export function registerDocsRoutes(app: App): void {
  const bundle = scalarBundle();

  app.get('/openapi.json', hidden, async (req) => withServers(app.swagger(), req.protocol, req.host));

  const page = docsPage(bundle.version);
  app.get('/docs', hidden, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', DOCS_CSP).send(page),
  );

  const script = referenceScript();
  app.get(`/${REFERENCE_SCRIPT_PATH}`, hidden, async (_req, reply) => reply.type(JAVASCRIPT).header('cache-control', 'no-cache').send(script));

  app.get(`/${scalarScriptPath(bundle.version)}`, hidden, async (req: FastifyRequest, reply: FastifyReply) => {
    const { plain, gzip } = await bundle.load();
    reply.type(JAVASCRIPT).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding');
    if (!acceptsGzip(req)) return reply.send(plain);
    return reply.header('content-encoding', 'gzip').send(gzip);
  });
}
