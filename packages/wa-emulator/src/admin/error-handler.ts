import type { FastifyInstance } from 'fastify';
import { AccountError } from '../accounts.js';
import { BadRequestError, NotFoundError, SendFailedError } from '../errors.js';
import { GroupError } from '../groups/group-error.js';
import { LinkError } from '../linking/link-error.js';

/** Maps domain errors to `{success:false,error,code}` with the right status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
    if (err.validation) return reply.status(400).send({ success: false, error: err.message, code: 'invalid_request' });
    if (err instanceof SendFailedError) return reply.status(502).send({ success: false, error: err.message, code: err.code });
    if (err instanceof NotFoundError && !(err instanceof BadRequestError))
      return reply.status(404).send({ success: false, error: err.message, code: err.code });
    if (err instanceof BadRequestError) return reply.status(400).send({ success: false, error: err.message, code: err.code });
    if (err instanceof GroupError) {
      // the IQ's code, as HTTP: 404 no group (406 no such invite code), 403 not a participant or not an admin, 409 conflict or limits
      const status = err.iqCode === 404 || err.iqCode === 406 ? 404 : err.iqCode === 401 || err.iqCode === 403 ? 403 : err.iqCode === 400 ? 400 : 409;
      return reply.status(status).send({ success: false, error: err.message, code: err.code });
    }
    if (err instanceof AccountError) {
      const status = err.code === 'account_exists' ? 409 : 400;
      return reply.status(status).send({ success: false, error: err.message, code: err.code });
    }
    if (err instanceof LinkError) {
      const notFound = err.code === 'qr_not_found' || err.code === 'account_not_found' || err.code === 'code_pairing_not_found';
      const status = notFound ? 404 : err.code === 'pairing_failed' || err.code === 'pairing_busy' ? 409 : 400;
      return reply.status(status).send({ success: false, error: err.message, code: err.code });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) app.log.error({ err }, 'admin request failed');
    const code = status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : status === 500 ? 'internal' : 'bad_request';
    return reply.status(status).send({ success: false, error: status === 500 ? 'internal error' : err.message, code });
  });
  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ success: false, error: 'no such route', code: 'route_not_found' }));
}
