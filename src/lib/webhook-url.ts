import { badRequest } from './errors.js';

/**
 * Checks the form of a webhook URL at save time: http(s), a host, no credentials. Address
 * checks (private, loopback, metadata) belong to the webhooks module's SSRF guard.
 */
export function checkWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest('webhook_url is not a valid URL', 'invalid_webhook_url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('webhook_url must use http or https', 'invalid_webhook_url');
  if (url.username || url.password) throw badRequest('webhook_url must not contain credentials', 'invalid_webhook_url');
  if (!url.hostname) throw badRequest('webhook_url has no host', 'invalid_webhook_url');
  return raw.trim();
}
