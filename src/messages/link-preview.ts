import { Agent, request } from 'undici';
import type { LinkPreview } from '../whatsapp/messages.js';
import { forbiddenAddressReason, guardedLookup, literalAddress } from '../webhooks/ssrf.js';

const TIMEOUT_MS = 5_000;
const MAX_HTML_BYTES = 256 * 1024;
const agents = new Map<boolean, Agent>();

function agentFor(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate);
  if (!agent) {
    agent = new Agent({ connect: { lookup: guardedLookup(allowPrivate), timeout: TIMEOUT_MS }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    agents.set(allowPrivate, agent);
  }
  return agent;
}

export function firstUrl(text: string): string | undefined {
  return /https?:\/\/[^\s<>"']+/i.exec(text)?.[0];
}

const decode = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

function meta(html: string, name: string): string | undefined {
  const re = new RegExp(`<meta[^>]+(?:property|name)=["']${name}["'][^>]*>`, 'i');
  const tag = re.exec(html)?.[0];
  const content = tag ? /content=["']([^"']*)["']/i.exec(tag)?.[1] : undefined;
  return content ? decode(content) : undefined;
}

/**
 * The title and description of the first URL in a text, for a link preview. WUTS fetches it
 * (Baileys would, without SSRF guard): public addresses only, 5 s, 256 KB of HTML, no redirects.
 */
export async function fetchLinkPreview(text: string, allowPrivate: boolean): Promise<LinkPreview | undefined> {
  const url = firstUrl(text);
  if (!url) return undefined;
  const parsed = new URL(url);
  const literal = literalAddress(parsed);
  if (!allowPrivate && literal && forbiddenAddressReason(literal)) return undefined;
  const res = await request(url, {
    method: 'GET',
    dispatcher: agentFor(allowPrivate),
    headers: { accept: 'text/html', 'user-agent': 'WUTS link preview' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode !== 200 || !type.includes('text/html')) {
    await res.body.dump();
    return undefined;
  }
  let html = '';
  for await (const chunk of res.body) {
    html += (chunk as Buffer).toString('utf8');
    if (html.length >= MAX_HTML_BYTES) break; // leaving the loop closes the body
  }
  const title =
    meta(html, 'og:title') ?? (/<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1] ? decode(/<title[^>]*>([^<]*)<\/title>/i.exec(html)![1]!) : undefined);
  if (!title) return undefined;
  const description = meta(html, 'og:description') ?? meta(html, 'description');
  return { url, title: title.slice(0, 300), ...(description ? { description: description.slice(0, 500) } : {}) };
}
