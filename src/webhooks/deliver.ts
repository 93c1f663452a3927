import { Agent, request } from 'undici';
import { ForbiddenTargetError, forbiddenAddressReason, guardedLookup, literalAddress } from './ssrf.js';

export const MAX_RESPONSE_BODY = 64 * 1024;
const MAX_TARGETS = 10_000;

export interface PostResult {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
  retryAfterSeconds: number | null;
}

export interface WebhookPoster {
  /** `abandon` aborts the request without an answer worth recording (shutdown). */
  post(url: string, body: string, headers: Record<string, string>, abandon?: AbortSignal): Promise<PostResult>;
  close(): Promise<void>;
}

function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.max(0, (date - now) / 1000);
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = MAX_RESPONSE_BODY - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    if (size >= MAX_RESPONSE_BODY) {
      body.destroy();
      break;
    }
  }
  // Stored as text: PostgreSQL refuses NUL characters.
  return Buffer.concat(chunks).toString('utf8').replaceAll('\u0000', '');
}

/**
 * POSTs webhooks with undici: no redirects followed, a timeout over the whole exchange, the
 * response body kept to 64 KB, and the SSRF guard on the address really connected to.
 */
export function createWebhookPoster(options: { timeoutMs: number; allowPrivate: boolean }): WebhookPoster {
  const agent = new Agent({
    connect: { lookup: guardedLookup(options.allowPrivate), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connections: 64,
  });

  // A webhook's URL, parsed and checked once (not per request); bounded, cleared when full.
  const targets = new Map<string, { url: URL; refusal: string | null }>();
  const target = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const parsed = new URL(url);
      const literal = literalAddress(parsed);
      const reason = literal && !options.allowPrivate ? forbiddenAddressReason(literal) : null;
      t = { url: parsed, refusal: reason ? `refused: ${literal} is a ${reason} address` : null };
      if (targets.size >= MAX_TARGETS) targets.clear();
      targets.set(url, t);
    }
    return t;
  };

  return {
    async post(url, body, headers, abandon) {
      const started = performance.now();
      const done = (r: Omit<PostResult, 'latencyMs'>): PostResult => ({ ...r, latencyMs: Math.round(performance.now() - started) });
      try {
        const { url: parsed, refusal } = target(url);
        if (refusal) throw new ForbiddenTargetError(refusal);
        const res = await request(parsed, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'user-agent': 'WUTS-Webhooks/1', ...headers },
          dispatcher: agent,
          signal: abandon ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), abandon]) : AbortSignal.timeout(options.timeoutMs),
        });
        const empty = res.statusCode === 204 || res.headers['content-length'] === '0';
        const responseBody = empty ? (await res.body.dump(), '') : await readCapped(res.body as unknown as AsyncIterable<Buffer> & { destroy(): void });
        return done({
          statusCode: res.statusCode,
          error: null,
          responseBody,
          retryAfterSeconds: parseRetryAfter(res.headers['retry-after'], Date.now()),
        });
      } catch (err) {
        const e = err as Error & { code?: string; cause?: Error & { code?: string } };
        const cause = e.cause instanceof ForbiddenTargetError ? e.cause : e;
        let message = cause.message || String(err);
        if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
          message = `timeout after ${options.timeoutMs} ms`;
        } else if (e.code && !(cause instanceof ForbiddenTargetError)) {
          message = `${e.code}: ${message}`;
        }
        return done({ statusCode: null, error: message.replaceAll('\u0000', '').slice(0, 500), responseBody: null, retryAfterSeconds: null });
      }
    },
    close: () => agent.close(),
  };
}
