import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_BAD_URL: 'invalid_url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
};

/** Turns every error into {"success": false, "error", "code"}; a 5xx never shows internals. */
export function handleError(err: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof AppError) {
    return reply.code(err.statusCode).headers(err.headers).send({ success: false, error: err.message, code: err.code });
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    return reply.code(400).send({ success: false, error: fe.message, code: 'invalid_request' });
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = (fe.code && FASTIFY_CODES[fe.code]) ?? (err instanceof SyntaxError ? 'invalid_json' : 'invalid_request');
    return reply.code(status).send({ success: false, error: fe.message, code });
  }
  request.log.error({ err }, 'request failed');
  return reply.code(500).send({ success: false, error: 'internal error', code: 'internal' });
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send({ success: false, error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'route_not_found' });
}
