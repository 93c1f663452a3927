import type { ServerOptions } from 'node:http';
import type { Config } from '../config.js';

/**
 * The HTTP server's timeouts. Node checks the request and header timeouts on an interval
 * (30 s by default), so it is shortened to a quarter of the smaller timeout, at most 1 s.
 * A request's timeout stops counting once its body is received: a long answer (the event
 * stream) is not cut.
 */
export function serverTimeouts(config: Config): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  const checkEveryMs = Math.max(50, Math.min(1000, Math.floor(Math.min(config.requestTimeoutMs, config.headersTimeoutMs) / 4)));
  return {
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: { requestTimeout: config.requestTimeoutMs, headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: checkEveryMs },
  };
}
