import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { serverTimeouts } from '../../src/http/server-options.js';
import { schemaCarriesSecret } from '../../src/http/security-headers.js';
import { authorizeScrape, isLoopback } from '../../src/metrics/access.js';
import { RegisterResponse } from '../../src/tenants/schemas.js';
import { SecretResponse, WebhookResponse } from '../../src/webhooks/schemas.js';
import { ConnectResponse, DeviceListResponse } from '../../src/devices/schemas.js';
import { errorOf } from './app-error.js';

const TOKEN = 'm'.repeat(32);

describe('the HTTP hardening settings', () => {
  it('have their defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 10_000,
      metricsToken: undefined,
      webhookTestsPerMinute: 10,
      deliveryRetriesPerMinute: 60,
    });
    expect(loadConfig({ WUTS_REQUEST_TIMEOUT_SECONDS: '5' }).headersTimeoutMs).toBe(5000);
    expect(loadConfig({ WUTS_METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
  });

  it('refuse bad values, naming the variable', () => {
    const cases: [Record<string, string>, string][] = [
      [{ WUTS_METRICS_TOKEN: 'short' }, 'WUTS_METRICS_TOKEN'],
      [{ WUTS_METRICS_TOKEN: 'with spaces '.repeat(4) }, 'WUTS_METRICS_TOKEN'],
      [{ WUTS_METRICS_TOKEN: TOKEN, WUTS_MASTER_TOKEN: TOKEN }, 'WUTS_METRICS_TOKEN'],
      [{ WUTS_REQUEST_TIMEOUT_SECONDS: '0' }, 'WUTS_REQUEST_TIMEOUT_SECONDS'],
      [{ WUTS_REQUEST_TIMEOUT_SECONDS: '20', WUTS_HEADERS_TIMEOUT_SECONDS: '30' }, 'WUTS_HEADERS_TIMEOUT_SECONDS'],
      [{ WUTS_KEEP_ALIVE_TIMEOUT_SECONDS: 'soon' }, 'WUTS_KEEP_ALIVE_TIMEOUT_SECONDS'],
      [{ WUTS_MAX_CONNECTIONS: '0' }, 'WUTS_MAX_CONNECTIONS'],
      [{ WUTS_WEBHOOK_TESTS_PER_MINUTE: '0' }, 'WUTS_WEBHOOK_TESTS_PER_MINUTE'],
      [{ WUTS_DELIVERY_RETRIES_PER_MINUTE: '-1' }, 'WUTS_DELIVERY_RETRIES_PER_MINUTE'],
    ];
    for (const [env, name] of cases) {
      expect(() => loadConfig(env), name).toThrow(ConfigError);
      expect(() => loadConfig(env), name).toThrow(new RegExp(`^${name} `));
    }
  });

  it('check the timeouts at least every second, and often enough for small ones', () => {
    expect(serverTimeouts(loadConfig({})).http.connectionsCheckingInterval).toBe(1000);
    expect(serverTimeouts({ ...loadConfig({}), requestTimeoutMs: 1000, headersTimeoutMs: 400 }).http.connectionsCheckingInterval).toBe(100);
  });
});

describe('which answers carry a secret', () => {
  it('finds token, secret and linking-code fields at any depth, and nothing in ordinary answers', () => {
    expect(schemaCarriesSecret(RegisterResponse)).toBe(true);
    expect(schemaCarriesSecret(SecretResponse)).toBe(true);
    expect(schemaCarriesSecret(ConnectResponse)).toBe(true);
    expect(schemaCarriesSecret(WebhookResponse)).toBe(false);
    expect(schemaCarriesSecret(DeviceListResponse)).toBe(false);
  });
});

describe('who may read /metrics', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', '1127.0.0.1', undefined]) expect(isLoopback(a), String(a)).toBe(false);
  });

  it('without a metrics token: loopback peers, not proxied; with one: that token only', () => {
    expect(() => authorizeScrape({ metricsToken: undefined }, { headers: {}, peerAddress: '127.0.0.1' })).not.toThrow();
    expect(errorOf(() => authorizeScrape({ metricsToken: undefined }, { headers: {}, peerAddress: '192.0.2.1' }))).toMatchObject({ statusCode: 403 });
    expect(errorOf(() => authorizeScrape({ metricsToken: undefined }, { headers: { forwarded: 'for=192.0.2.1' }, peerAddress: '::1' }))).toMatchObject({
      statusCode: 403,
    });
    expect(() => authorizeScrape({ metricsToken: TOKEN }, { headers: { authorization: `Bearer ${TOKEN}` }, peerAddress: '192.0.2.1' })).not.toThrow();
    expect(errorOf(() => authorizeScrape({ metricsToken: TOKEN }, { headers: {}, peerAddress: '127.0.0.1' }))).toMatchObject({ statusCode: 401 });
    expect(errorOf(() => authorizeScrape({ metricsToken: TOKEN }, { headers: { authorization: `Bearer ${TOKEN}x` }, peerAddress: '127.0.0.1' }))).toMatchObject(
      { statusCode: 401 },
    );
  });
});
