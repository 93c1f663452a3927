// What `wuts serve` writes while a device links against the sandbox emulator (a real Baileys
// connect: QR, pairing, the 515 restart WhatsApp asks for, login): JSON lines only by default,
// no request lines at info, none of Baileys' known-benign noise (the "DANGER: DISABLING ALL
// SYNC" warning, the 515 restart as an error); with WUTS_LOG_FORMAT=pretty one readable line
// per record.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { until } from '../helpers/wait.js';

const MASTER = 'log_output_master_' + randomBytes(24).toString('hex');
/** Each run a database of its own: the sandbox's port (and so its endpoint) is new each time. */
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.drop();
});

interface Run {
  lines: string[];
  exitCode: number | null;
}

/** Starts `wuts serve` with the sandbox, links a new device by QR code through the emulator, stops WUTS; answers what it wrote. */
async function linkADevice(env: Record<string, string>, phone: string): Promise<Run> {
  const database = await createTestDatabase({ migrate: false });
  databases.push(database);
  const server = await startServer(
    {
      WUTS_DATA_DIR: database.dataDir,
      DATABASE_URL: database.databaseUrl,
      WUTS_MASTER_TOKEN: MASTER,
      WUTS_EMULATOR: 'true',
      WUTS_EMULATOR_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    30_000,
  );
  let exitCode: number | null = null;
  try {
    const emulator = /WhatsApp emulator \(sandbox\) at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1];
    expect(emulator, server.output()).toBeDefined();
    const api = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await fetch(`${server.baseUrl}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const reg = await api('POST', '/register', MASTER, {
      tenant_name: `Logs ${randomBytes(4).toString('hex')}`,
      email: `logs-${randomBytes(4).toString('hex')}@example.test`,
      password: 'password-123',
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const token = reg.body.token as string;
    const device = await api('POST', '/devices', token, { name: 'Logs' });
    expect(device.status).toBe(201);
    const id = device.body.device.id as string;
    // connect takes no body
    const connect = await api('POST', `/devices/${id}/connect`, token);
    expect(connect.status, JSON.stringify(connect.body)).toBe(200);
    const account = await fetch(`${emulator}/admin/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone, name: 'Log Tester' }),
    });
    expect(account.status).toBe(201);
    const link = await fetch(`${emulator}/admin/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ qr: connect.body.qr.text, phone }),
    });
    expect(link.status, await link.clone().text()).toBe(200);
    await until('the device connected', async () => (await api('GET', `/devices/${id}`, token)).body.device.status === 'connected', 20_000);
    // what follows a login (pre-keys, presence, the first queries) is logged too
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    exitCode = await server.stop('SIGTERM');
  }
  return {
    lines: server
      .output()
      .split('\n')
      .filter((l) => l.trim() !== ''),
    exitCode,
  };
}

describe('the log of wuts serve', () => {
  it('is JSON lines only, without request lines at info nor Baileys noise, through a real link and connect', async () => {
    const run = await linkADevice({}, '15550076001');
    expect(run.exitCode).toBe(0);
    const records = run.lines.map((line) => {
      try {
        return JSON.parse(line) as { level: number; msg?: string; component?: string; [key: string]: unknown };
      } catch {
        throw new Error(`a line that is no JSON: ${line}`);
      }
    });
    const messages = records.map((r) => r.msg);
    expect(messages).toContainEqual(expect.stringMatching(/^WUTS listening on http:/));
    expect(messages).toContainEqual(expect.stringMatching(/^Master token: taken from WUTS_MASTER_TOKEN/));
    expect(messages).toContain('shutting down');
    expect(records.filter((r) => r.level >= 30 && /^(incoming request|request completed)$/.test(r.msg ?? ''))).toEqual([]);
    expect(run.lines.filter((l) => l.includes('DANGER'))).toEqual([]);
    expect(records.filter((r) => r.level >= 50 && (r.msg === 'stream errored out' || JSON.stringify(r).includes('515')))).toEqual([]);
    // nothing at error at all on a clean link
    expect(records.filter((r) => r.level >= 50)).toEqual([]);
  }, 90_000);

  it('is one readable line per record with WUTS_LOG_FORMAT=pretty', async () => {
    const run = await linkADevice({ WUTS_LOG_FORMAT: 'pretty' }, '15550076002');
    expect(run.exitCode).toBe(0);
    for (const line of run.lines) {
      expect(line, line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /);
      expect(line.startsWith('{'), line).toBe(false);
    }
    expect(run.lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}WUTS listening on http:\/\/127\.0\.0\.1:\d+ /));
    expect(run.lines.filter((l) => l.includes('DANGER') || / (incoming request|request completed)/.test(l))).toEqual([]);
  }, 90_000);
});
