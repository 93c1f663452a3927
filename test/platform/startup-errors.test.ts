// A database that cannot be reached at start (issue 11): `wuts migrate` and `wuts serve` stop
// within a bound, with one line naming where and why, and a non-zero exit code. Needs no
// PostgreSQL server: the address is a closed port, or a port that accepts and never answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedPort, silentServers } from '../helpers/ports.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-startup-'));
const silent = silentServers();
afterAll(async () => {
  await silent.closeAll();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function expectOneLine(command: string, env: Record<string, string>, line: string, boundMs: number): Promise<void> {
  const started = Date.now();
  const res = await runCli([command], { WUTS_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env }, boundMs);
  expect(res.code, res.stderr).not.toBe(0);
  expect(res.code).not.toBeNull();
  expect(res.stderr.trim().split('\n'), res.stderr).toEqual([line]);
  expect(res.stdout).toBe('');
  expect(Date.now() - started).toBeLessThan(boundMs);
}

describe('an unreachable PostgreSQL at start', () => {
  for (const command of ['migrate', 'serve']) {
    it(`wuts ${command}: a closed port says "connection refused"`, async () => {
      const port = await closedPort();
      await expectOneLine(
        command,
        { DATABASE_URL: `postgres://wuts:secret-password@127.0.0.1:${port}/wuts` },
        `wuts: cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused`,
        10_000,
      );
    });

    it(`wuts ${command}: a server that never answers fails after WUTS_PG_CONNECT_TIMEOUT_SECONDS`, async () => {
      const port = await silent.start();
      await expectOneLine(
        command,
        { DATABASE_URL: `postgres://wuts@127.0.0.1:${port}/wuts`, WUTS_PG_CONNECT_TIMEOUT_SECONDS: '1' },
        `wuts: cannot connect to PostgreSQL at 127.0.0.1:${port}: no answer within 1 s`,
        10_000,
      );
    });
  }

  it('the connect timeout setting is validated', async () => {
    const res = await runCli(['migrate'], { WUTS_DATA_DIR: dataDir, WUTS_PG_CONNECT_TIMEOUT_SECONDS: '0' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('wuts: WUTS_PG_CONNECT_TIMEOUT_SECONDS must be between 1 and 600, got 0');
  });
});

describe('media store settings at start', () => {
  it('wuts serve with WUTS_MEDIA_STORE=s3 and no bucket stops with one line naming WUTS_S3_BUCKET', async () => {
    await expectOneLine('serve', { WUTS_MEDIA_STORE: 's3' }, 'wuts: WUTS_S3_BUCKET is required when WUTS_MEDIA_STORE=s3', 10_000);
  });

  it('wuts serve with an S3 setting but the filesystem store stops with one line naming it', async () => {
    await expectOneLine(
      'serve',
      { WUTS_S3_ENDPOINT: 'http://127.0.0.1:9000' },
      'wuts: WUTS_S3_ENDPOINT is set but WUTS_MEDIA_STORE is fs: set WUTS_MEDIA_STORE=s3 to keep media in S3, or unset WUTS_S3_ENDPOINT',
      10_000,
    );
  });
});
