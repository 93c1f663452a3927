import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { keyIdOf } from '../../src/lib/secret-box.js';
import { runCli, startServer } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await database.drop();
});

const baseEnv = () => ({ WUTS_DATA_DIR: database.dataDir, DATABASE_URL: database.databaseUrl });

describe('the wuts command', () => {
  it('--help lists every command and every setting', async () => {
    const res = await runCli(['--help'], {});
    expect(res.code).toBe(0);
    for (const word of ['serve', 'migrate', 'emulator', '--version', ...SETTINGS.map((s) => s.name)]) expect(res.stdout).toContain(word);
    expect((await runCli(['-h'], {})).stdout).toBe(res.stdout);
  });

  it('--version and -v print the version of package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const res = await runCli([flag], {});
      expect(res).toEqual({ code: 0, stdout: `wuts ${version}\n`, stderr: '' });
    }
  });

  it('every command has --help, which prints its usage and does nothing else', async () => {
    // a data directory that does not exist: a command that ran would create it
    const dataDir = path.join(os.tmpdir(), `wuts-help-${process.pid}-${Date.now()}`);
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--help'], /^Usage: wuts serve\n[\s\S]*takes no options/],
      [['serve', '-h'], /^Usage: wuts serve\n/],
      [['migrate', '--help'], /^Usage: wuts migrate\n/],
      [['help', 'migrate'], /^Usage: wuts migrate\n/],
      [['emulator', '--help'], /^wuts emulator: [\s\S]*--port N[\s\S]*--state FILE[\s\S]*--admin-token TOKEN/],
    ];
    for (const [args, usage] of cases) {
      const started = Date.now();
      // PORT 1 would fail a server that tried to listen; the help must not get that far
      const res = await runCli(args, { WUTS_DATA_DIR: dataDir, PORT: '1' });
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(usage);
      expect(res.stderr).toBe('');
      expect(Date.now() - started, args.join(' ')).toBeLessThan(10_000);
      expect(fs.existsSync(dataDir), `${args.join(' ')} created the data directory`).toBe(false);
    }
  });

  it('an unknown option or argument to serve or migrate fails with exit 2 and one clear line, doing nothing', async () => {
    const dataDir = path.join(os.tmpdir(), `wuts-usage-${process.pid}-${Date.now()}`);
    const cases: Array<[string[], string]> = [
      [['serve', '--port', '9000'], 'wuts serve: unknown option "--port"'],
      [['--port=9000'], 'wuts serve: unknown option "--port=9000"'],
      [['migrate', '--dry-run'], 'wuts migrate: unknown option "--dry-run"'],
      [['migrate', 'now'], 'wuts migrate: unexpected argument "now"'],
    ];
    for (const [args, start] of cases) {
      const res = await runCli(args, { WUTS_DATA_DIR: dataDir });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      const lines = res.stderr.trim().split('\n');
      expect(lines, res.stderr).toHaveLength(1);
      expect(lines[0]!.startsWith(start), lines[0]).toBe(true);
      expect(lines[0]).toContain('takes no options; every setting is an environment variable');
      expect(fs.existsSync(dataDir)).toBe(false);
    }
    const unknown = await runCli(['sever'], { WUTS_DATA_DIR: dataDir });
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'wuts: unknown command "sever"; see wuts --help\n' });
  });

  it('stops at a bad setting with one clear line naming it', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
      [{ WUTS_MASTER_TOKEN: 'short' }, 'WUTS_MASTER_TOKEN'],
      [{ WUTS_MAX_USERS_PER_TENANT: '0' }, 'WUTS_MAX_USERS_PER_TENANT'],
      [{ WUTS_ALLOW_PRIVATE_WEBHOOKS: 'perhaps' }, 'WUTS_ALLOW_PRIVATE_WEBHOOKS'],
      [{ WUTS_WA_WS_URL: 'http://x' }, 'WUTS_WA_WS_URL'],
      [{ WUTS_SECRET_KEY: 'c2hvcnQ=' }, 'WUTS_SECRET_KEY'],
      [{ WUTS_SECRET_KEY: 'a'.repeat(64), WUTS_SECRET_KEY_PREVIOUS: 'a'.repeat(63) }, 'WUTS_SECRET_KEY_PREVIOUS'],
    ];
    for (const [env, name] of cases) {
      const res = await runCli(['serve'], { WUTS_DATA_DIR: database.dataDir, ...env });
      expect(res.code, name).toBe(1);
      const lines = res.stderr.trim().split('\n');
      expect(lines, res.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^wuts: ${name} `));
      expect(res.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('migrate builds the schema from empty and records what ran', async () => {
    const first = await runCli(['migrate'], baseEnv());
    expect(first.stderr).toBe('');
    expect(first.stdout.trim()).toBe(
      'applied: 0001_tenancy, 0002_events_webhooks, 0003_devices, 0004_messages, 0005_idempotency_results, 0006_secret_key_check, 0007_session_endpoint, 0008_inbound_dead_letters, 0009_media, 0010_media_downloads, 0012_group_messages_identities, 0013_device_restrictions, 0014_tenant_media_bytes, 0015_cluster',
    );
    const second = await runCli(['migrate'], baseEnv());
    expect(second.stdout.trim()).toBe('the database is up to date');
    const db = database.reopen();
    const rows = await db.kysely
      .selectFrom('wuts_migrations' as never)
      .selectAll()
      .execute();
    await db.close();
    expect(rows.map((r) => (r as { name: string }).name)).toEqual([
      '0001_tenancy',
      '0002_events_webhooks',
      '0003_devices',
      '0004_messages',
      '0005_idempotency_results',
      '0006_secret_key_check',
      '0007_session_endpoint',
      '0008_inbound_dead_letters',
      '0009_media',
      '0010_media_downloads',
      '0012_group_messages_identities',
      '0013_device_restrictions',
      '0014_tenant_media_bytes',
      '0015_cluster',
    ]);
  });

  it('serve generates the master token into the data directory (0600), prints where, never the token', async () => {
    const server = await startServer(baseEnv());
    try {
      const file = `${database.dataDir}/master-token`;
      expect(server.output()).toContain(`Master token generated and saved in ${file} (mode 0600)`);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const token = fs.readFileSync(file, 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(server.output()).not.toContain(token);

      const ok = await fetch(`${server.baseUrl}/tenants`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const bad = await fetch(`${server.baseUrl}/tenants`, { headers: { authorization: `Bearer ${token}x` } });
      expect(bad.status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.output()).not.toContain(fs.readFileSync(`${database.dataDir}/master-token`, 'utf8').trim());

    // A restart keeps the same token.
    const again = await startServer(baseEnv());
    try {
      expect(again.output()).toContain('Master token kept in');
    } finally {
      await again.stop();
    }
  });

  it('serve generates the secret key into the data directory (0600), prints where and its id, never the key', async () => {
    const file = `${database.dataDir}/secret-key`;
    const server = await startServer(baseEnv());
    let keyId: string;
    try {
      const line = /Secret key \(id ([0-9a-f]{8})\) (generated and saved|kept) in (\S+) \(mode 0600\); back it up/.exec(server.output());
      expect(line, server.output()).not.toBeNull();
      expect(line![3]).toBe(file);
      keyId = line![1]!;
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const key = fs.readFileSync(file, 'utf8').trim();
      expect(Buffer.from(key, 'base64')).toHaveLength(32);
      expect(keyIdOf(Buffer.from(key, 'base64'))).toBe(keyId);
      expect(server.output()).not.toContain(key);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // A restart keeps the same key; WUTS_SECRET_KEY from the environment replaces the file.
    const again = await startServer(baseEnv());
    try {
      expect(again.output()).toContain(`Secret key (id ${keyId}) kept in ${file}`);
    } finally {
      await again.stop();
    }
    const fromEnv = await startServer({ ...baseEnv(), WUTS_SECRET_KEY: fs.readFileSync(file, 'utf8').trim() });
    try {
      expect(fromEnv.output()).toContain(`Secret key (id ${keyId}): taken from WUTS_SECRET_KEY`);
    } finally {
      await fromEnv.stop();
    }
  });

  it('serve takes WUTS_MASTER_TOKEN from the environment', async () => {
    const token = 'env-master-token-0123456789abcdefghijklmnop';
    const server = await startServer({ ...baseEnv(), WUTS_MASTER_TOKEN: token });
    try {
      expect(server.output()).toContain('Master token: taken from WUTS_MASTER_TOKEN');
      expect(server.output()).not.toContain(token);
      const res = await fetch(`${server.baseUrl}/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant_name: 'Env Tenant', email: 'env@example.test', password: 'password-1' }),
      });
      expect(res.status).toBe(201);
    } finally {
      await server.stop();
    }
  });

  it('serve runs the WhatsApp emulator in-process with WUTS_EMULATOR=true', async () => {
    const server = await startServer({
      ...baseEnv(),
      WUTS_EMULATOR: 'true',
      WUTS_EMULATOR_PORT: '0',
      WUTS_MASTER_TOKEN: 'env-master-token-0123456789abcdefghijklmnop',
    });
    try {
      const match = /WhatsApp emulator \(sandbox\) at (http:\/\/127\.0\.0\.1:\d+); WhatsApp connections go to (ws:\/\/127\.0\.0\.1:\d+\/ws\/chat)/.exec(
        server.output(),
      );
      expect(match, server.output()).not.toBeNull();
      const created = await fetch(`${match![1]}/admin/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '15550009999', name: 'Sandbox' }),
      });
      expect(created.status).toBe(201);
      const list = await (await fetch(`${match![1]}/admin/accounts`)).json();
      expect(JSON.stringify(list)).toContain('15550009999');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
