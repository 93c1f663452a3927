import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';

const METRICS_TOKEN = 'metrics_' + 'x'.repeat(40);

const scrape = (t: TestApp, options: { token?: string; from?: string; headers?: Record<string, string> } = {}) =>
  t.app.inject({
    method: 'GET',
    url: '/metrics',
    remoteAddress: options.from ?? '127.0.0.1',
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  });

describe('GET /metrics without WUTS_METRICS_TOKEN: loopback only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a loopback address without a token', async () => {
    for (const from of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) {
      const res = await scrape(t, { from });
      expect(res.statusCode, from).toBe(200);
      expect(res.body).toContain('wuts_http_requests_total');
    }
  });

  it('refuses any other address, whatever token it sends, and a proxied request', async () => {
    const tenant = await createTenant(t);
    for (const token of [undefined, t.masterToken, tenant.adminToken]) {
      const res = await scrape(t, { from: '203.0.113.7', ...(token ? { token } : {}) });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ success: false, code: 'metrics_loopback_only' });
    }
    expect((await scrape(t, { from: '10.0.0.8' })).statusCode).toBe(403);
    expect((await scrape(t, { headers: { 'x-forwarded-for': '203.0.113.7' } })).statusCode).toBe(403);
  });
});

describe('GET /metrics with WUTS_METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ metricsToken: METRICS_TOKEN });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the metrics token from any address', async () => {
    const res = await scrape(t, { token: METRICS_TOKEN, from: '203.0.113.7' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('wuts_process_resident_memory_bytes');
  });

  it('refuses no token, a wrong token and the master token with 401, from loopback too', async () => {
    for (const token of [undefined, 'metrics_' + 'y'.repeat(40), t.masterToken]) {
      const res = await scrape(t, token ? { token } : {});
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ success: false, code: 'metrics_token_required' });
    }
  });
});
