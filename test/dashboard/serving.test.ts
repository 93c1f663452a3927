import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

// A dashboard build of our own (index.html, a hashed script and a stylesheet), and a file beside
// the assets folder that no path may reach.
const built = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-dashboard-'));
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Ab12.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("dashboard");';
const SECRET = 'not-for-the-web-' + Math.random();
fs.mkdirSync(path.join(built, 'assets'));
fs.writeFileSync(path.join(built, 'index.html'), INDEX);
fs.writeFileSync(path.join(built, 'assets', 'index-Ab12.js'), SCRIPT);
fs.writeFileSync(path.join(built, 'assets', 'index-Cd34.css'), 'body{margin:0}');
fs.writeFileSync(path.join(built, 'package.json'), SECRET);
fs.writeFileSync(path.join(built, 'assets', 'notes.secret'), SECRET);

let t: TestApp;
let unbuilt: TestApp;
beforeAll(async () => {
  t = await createTestApp({ dashboardDir: built });
  unbuilt = await createTestApp({ dashboardDir: path.join(built, 'missing') });
});
afterAll(async () => {
  await t?.close();
  await unbuilt?.close();
  fs.rmSync(built, { recursive: true, force: true });
});

describe('the dashboard served at /', () => {
  it('serves index.html at / as HTML that is never cached, with a CSP of its own origin', async () => {
    const res = await t.call('GET', '/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(res.body).toBe(INDEX);
  });

  it('serves a hashed asset with its content type, its length and a year-long immutable cache', async () => {
    const res = await t.call('GET', '/assets/index-Ab12.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe(SCRIPT);
    const css = await t.call('GET', '/assets/index-Cd34.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for an unknown asset and for a file of a type it does not serve', async () => {
    for (const url of ['/assets/index-Zz99.js', '/assets/nope', '/assets/notes.secret', '/assets/', '/assets/sub/index-Ab12.js']) {
      const res = await t.call('GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ success: false, code: expect.stringMatching(/not_found/) });
    }
  });

  it('refuses paths that climb out of the assets folder, plain or encoded', async () => {
    const attempts = [
      '/assets/../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/..%2fpackage.json',
      '/assets/%2e%2e%2fpackage.json',
      '/assets/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/assets/..%5cpackage.json',
      '/assets/....//package.json',
      '/assets/%252e%252e%252fpackage.json',
      '/assets/.%2e/.%2e/package.json',
      '/assets/%00../package.json',
    ];
    for (const url of attempts) {
      const res = await t.call('GET', url);
      expect([400, 404], `${url} answered ${res.statusCode}`).toContain(res.statusCode);
      expect(res.body, url).not.toContain(SECRET);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
    }
  });

  it('says to run npm run build when the dashboard was not built', async () => {
    const res = await unbuilt.call('GET', '/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build');
    expect((await unbuilt.call('GET', '/assets/index-Ab12.js')).statusCode).toBe(404);
  });

  it('leaves every API path to the API: JSON answers, /docs, /openapi.json, /health, /metrics', async () => {
    const health = await t.call('GET', '/health');
    expect(health.json()).toEqual({ success: true, status: 'ok' });
    const devices = await t.call('GET', '/devices');
    expect(devices.statusCode).toBe(401);
    expect(devices.headers['content-type']).toMatch(/^application\/json/);
    expect(devices.json()).toMatchObject({ success: false });
    const messages = await t.call('GET', '/messages/00000000-0000-4000-8000-000000000000');
    expect(messages.statusCode).toBe(401);
    expect((await t.call('GET', '/docs')).body).not.toBe(INDEX);
    const openapi = await t.call('GET', '/openapi.json');
    expect(openapi.statusCode).toBe(200);
    const paths = Object.keys(openapi.json().paths);
    expect(paths).toContain('/devices');
    expect(paths.filter((p) => p === '/' || p.startsWith('/assets'))).toEqual([]);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const unknown = await t.call('GET', '/no-such-route');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ success: false, code: 'route_not_found' });
  });
});
