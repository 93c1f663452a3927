import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { badRequest } from '../lib/errors.js';
import { ForbiddenTargetError, forbiddenAddressReason, guardedLookup, literalAddress } from '../webhooks/ssrf.js';

const agents = new Map<string, Agent>();

function agentFor(allowPrivate: boolean, timeoutMs: number): Agent {
  const key = `${allowPrivate}:${timeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ connect: { lookup: guardedLookup(allowPrivate), timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    agents.set(key, agent);
  }
  return agent;
}

export interface FetchedMedia {
  body: Readable;
  /** the Content-Type the server named (without parameters), if any */
  contentType: string | undefined;
  /** the file name from Content-Disposition or the URL's last path segment */
  filename: string | undefined;
}

/**
 * Opens a media file given by URL for a send: public addresses only (checked when connecting,
 * so a name that resolves to a private address is refused too), no redirects (a redirect could
 * lead anywhere), a 200 or it is refused, and the whole transfer within `timeoutMs`. The size is
 * capped by whoever reads the body.
 */
export async function fetchMediaUrl(url: string, opts: { allowPrivate: boolean; timeoutMs: number }): Promise<FetchedMedia> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('media.url is not a valid URL', 'invalid_media_url');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('media.url must be http or https', 'invalid_media_url');
  const literal = literalAddress(parsed);
  const reason = !opts.allowPrivate && literal ? forbiddenAddressReason(literal) : null;
  if (reason) throw badRequest(`media.url points at ${reason}`, 'media_url_forbidden');
  let res;
  try {
    res = await request(parsed, {
      method: 'GET',
      dispatcher: agentFor(opts.allowPrivate, opts.timeoutMs),
      headers: { 'user-agent': 'WUTS media fetch', accept: '*/*' },
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (err instanceof ForbiddenTargetError || (err as { cause?: unknown }).cause instanceof ForbiddenTargetError)
      throw badRequest(`media.url points at an address WUTS does not fetch from (${message})`, 'media_url_forbidden');
    throw badRequest(`media.url could not be fetched: ${message}`, 'media_url_failed');
  }
  if (res.statusCode >= 300 && res.statusCode < 400) {
    await res.body.dump();
    throw badRequest(`media.url answered a redirect (${res.statusCode}); give the final URL`, 'media_url_redirect');
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw badRequest(`media.url answered ${res.statusCode}`, 'media_url_failed');
  }
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  return { body: res.body, contentType: type || undefined, filename: filenameOf(String(res.headers['content-disposition'] ?? ''), parsed) };
}

function filenameOf(disposition: string, url: URL): string | undefined {
  const quoted = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
  if (quoted) return decodeURIComponent(quoted).slice(0, 255);
  const last = url.pathname.split('/').filter(Boolean).pop();
  return last ? decodeURIComponent(last).slice(0, 255) : undefined;
}
