import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

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

/**
 * Fastify's request lines ("incoming request", "request completed") at debug, not info: at the
 * default level the log holds what happened to WUTS, not every call. A request that errored is
 * still logged at error.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    if (this.isLogDisabled(request)) return;
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }

  /** A client that went away mid-answer (an event stream closed) is routine: debug. */
  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') return super.streamError(error, request, reply);
    if (this.isLogDisabled(request)) return;
    reply.log.debug({ res: reply }, 'stream closed prematurely');
  }
}
