import type { IncomingHttpHeaders } from 'node:http';
import { bearer } from '../auth/authenticate.js';
import { secretsEqual } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { forbidden, unauthorized } from '../lib/errors.js';

const LOOPBACK = /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** A proxy on the same host connects from loopback on behalf of anyone: its requests do not count as local. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

export interface ScrapeRequest {
  headers: IncomingHttpHeaders;
  /** The TCP peer's address (never taken from X-Forwarded-For). */
  peerAddress: string | undefined;
}

export const isLoopback = (address: string | undefined): boolean => address === '::1' || (address !== undefined && LOOPBACK.test(address));

/**
 * Who may read /metrics: with WUTS_METRICS_TOKEN, whoever sends it as a bearer token (401
 * otherwise, from anywhere); without it, a direct caller on a loopback address (403 otherwise).
 * The master token is not accepted: a scraper's credential must not open the whole platform.
 */
export function authorizeScrape(config: Pick<Config, 'metricsToken'>, request: ScrapeRequest): void {
  if (config.metricsToken !== undefined) {
    const token = bearer(request);
    if (!token || !secretsEqual(token, config.metricsToken)) throw unauthorized('metrics token required', 'metrics_token_required');
    return;
  }
  const proxied = PROXY_HEADERS.some((name) => request.headers[name] !== undefined);
  if (!isLoopback(request.peerAddress) || proxied) {
    throw forbidden('/metrics answers only loopback addresses unless WUTS_METRICS_TOKEN is set', 'metrics_loopback_only');
  }
}
