import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});
/** The node's logger: at debug, so the request lines show; `level` is changed per test. */
const logger = pino({ level: 'debug' }, sink);
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({}, {}, { logger });
});
afterAll(async () => {
  await t.close();
});

const records = () => lines.map((l) => JSON.parse(l) as { level: number; msg: string; req?: { url: string } });

describe('request logging', () => {
  it('never writes a query string to the log', async () => {
    logger.level = 'debug';
    const tenant = await createTenant(t);
    lines.length = 0;
    await t.call('GET', '/devices?token=secret-value&limit=5', tenant.adminToken);
    await t.call('GET', '/nowhere?api_key=other-secret-value');
    const log = lines.join('\n');
    expect(log).toContain('"url":"/devices"');
    expect(log).toContain('incoming request');
    expect(log).not.toContain('secret-value');
    expect(log).not.toContain(tenant.adminToken);
  });

  it('logs requests at debug, so the default level (info) shows none', async () => {
    logger.level = 'debug';
    lines.length = 0;
    await t.call('GET', '/health');
    const requestLines = records().filter((r) => r.msg === 'incoming request' || r.msg === 'request completed');
    expect(requestLines.map((r) => [r.msg, r.level])).toEqual([
      ['incoming request', 20],
      ['request completed', 20],
    ]);

    logger.level = 'info';
    lines.length = 0;
    await t.call('GET', '/health');
    await t.call('GET', '/nowhere');
    expect(lines).toEqual([]);
  });
});
