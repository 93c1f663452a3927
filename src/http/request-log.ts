import type { FastifyRequest } from 'fastify';

/**
 * How a request is logged: Fastify's own fields, but the path without its query string, which
 * may carry a token or another secret (a client putting its token in `?token=`).
 */
export function serializeRequest(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url.split('?')[0],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
