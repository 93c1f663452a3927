import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';

const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  t = await createTestApp({}, {}, { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await t.close();
});

describe('request logging', () => {
  it('never writes a query string to the log', async () => {
    const tenant = await createTenant(t);
    lines.length = 0;
    await t.call('GET', '/devices?token=secret-value&limit=5', tenant.adminToken);
    await t.call('GET', '/nowhere?api_key=other-secret-value');
    const log = lines.join('');
    expect(log).toContain('"url":"/devices"');
    expect(log).toContain('incoming request');
    expect(log).not.toContain('secret-value');
    expect(log).not.toContain(tenant.adminToken);
  });
});
