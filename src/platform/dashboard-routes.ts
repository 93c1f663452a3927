import fs from 'node:fs';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { notFound } from '../lib/errors.js';
import { NOT_BUILT_PAGE, findAsset, readIndexHtml } from './dashboard-files.js';

// The page may load only its own files and call only its own origin (the API); QR codes are data: URLs.
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const AssetParams = Type.Object({ '*': Type.String({ maxLength: 1000 }) });

/**
 * The dashboard (packages/dashboard, built by `npm run build`): index.html at `/`, never cached,
 * and its hashed files under `/assets/`, cached for a year. Its pages live after `#`, so no
 * API path is taken.
 */
export function registerDashboardRoutes(app: App, deps: Deps): void {
  const dir = deps.config.dashboardDir;

  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    const html = await readIndexHtml(dir);
    reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', PAGE_CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer');
    return reply.type('text/html; charset=utf-8').send(html ?? NOT_BUILT_PAGE);
  });

  app.get('/assets/*', { schema: { hide: true, params: AssetParams } }, async (req, reply) => {
    const asset = await findAsset(dir, req.params['*']);
    if (!asset) throw notFound('asset');
    reply.header('cache-control', 'public, max-age=31536000, immutable').header('content-length', asset.size);
    return reply.type(asset.contentType).send(fs.createReadStream(asset.file));
  });
}
