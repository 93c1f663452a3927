// WUTS_EMULATOR=true points every WhatsApp connection at the in-process emulator, which does not
// know WhatsApp's sessions: it would answer them 401 and WUTS would delete them, so every tenant
// would link its devices again. Through the built `wuts serve`: such a start is refused with one
// line, unless WUTS_EMULATOR_WITH_REAL_SESSIONS=true, and then those devices are left alone.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKED_ELSEWHERE_REASON } from '../../src/devices/linked-endpoint.js';
import { newId } from '../../src/lib/ids.js';
import { credsAad, signalKeyAad } from '../../src/secrets/aad.js';
import { WHATSAPP_WS_URL } from '../../src/whatsapp/endpoint.js';
import { runCli, startServer, type RunningServer } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { closedPort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const MASTER = 'sandbox_refusal_master_' + randomBytes(24).toString('hex');
const CREDS = '{"me":{"id":"15550081001:4@s.whatsapp.net"}}';
let database: TestDatabase;
const servers: RunningServer[] = [];
const tenantId = newId();
const deviceId = newId();

beforeAll(async () => {
  database = await createTestDatabase();
  const k = database.db.kysely;
  const now = new Date().toISOString();
  await k.insertInto('tenants').values({ id: tenantId, name: 'Real', name_key: 'real', active: true, created_at: now, updated_at: now }).execute();
  // A device linked on WhatsApp itself, connected when WUTS last stopped.
  await k
    .insertInto('devices')
    .values({
      id: deviceId,
      tenant_id: tenantId,
      name: 'Front desk',
      status: 'connected',
      auto_connect: true,
      phone: '15550081001',
      created_at: now,
      updated_at: now,
    })
    .execute();
  await k
    .insertInto('device_auth_creds')
    .values({
      device_id: deviceId,
      tenant_id: tenantId,
      creds_json: database.secrets.seal(CREDS, credsAad(tenantId, deviceId)),
      updated_at: now,
      linked_endpoint: WHATSAPP_WS_URL,
    })
    .execute();
  await k
    .insertInto('device_auth_keys')
    .values({
      device_id: deviceId,
      tenant_id: tenantId,
      type: 'session',
      key_id: 'k1',
      value_json: database.secrets.seal('{"x":1}', signalKeyAad(tenantId, deviceId, 'session', 'k1')),
    })
    .execute();
});

afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
  await database.drop();
});

const env = (extra: Record<string, string> = {}) => ({
  WUTS_DATA_DIR: database.dataDir,
  DATABASE_URL: database.databaseUrl,
  WUTS_MASTER_TOKEN: MASTER,
  // the key the session rows are sealed with: the start leaves them as they are
  WUTS_SECRET_KEY: database.secretKey.toString('base64'),
  HOST: '127.0.0.1',
  PORT: '0',
  WUTS_EMULATOR: 'true',
  WUTS_EMULATOR_PORT: '0',
  ...extra,
});

async function sessionRows() {
  const k = database.db.kysely;
  return {
    creds: await k.selectFrom('device_auth_creds').select(['creds_json', 'linked_endpoint']).where('device_id', '=', deviceId).execute(),
    keys: await k.selectFrom('device_auth_keys').select(['key_id', 'value_json']).where('device_id', '=', deviceId).execute(),
  };
}

const readDevice = () => database.db.kysely.selectFrom('devices').selectAll().where('id', '=', deviceId).executeTakeFirstOrThrow();

describe('WUTS_EMULATOR=true with sessions linked on another WhatsApp endpoint', () => {
  it('is refused at start with one line and a non-zero exit; nothing is touched', { timeout: 60_000 }, async () => {
    const sessionBefore = await sessionRows();
    const deviceBefore = await readDevice();
    const res = await runCli(['serve'], env(), 20_000);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trim().split('\n');
    expect(lines, res.stderr).toEqual([
      `wuts: WUTS_EMULATOR=true refused: 1 device has a WhatsApp session linked on another endpoint (${WHATSAPP_WS_URL}: 1) that the sandbox would leave disconnected; start without WUTS_EMULATOR, or set WUTS_EMULATOR_WITH_REAL_SESSIONS=true to run the sandbox anyway (those devices stay disconnected, their sessions kept)`,
    ]);
    expect(fs.existsSync(path.join(database.dataDir, 'emulator-state.json')), 'the emulator never started').toBe(false);
    expect(await sessionRows()).toEqual(sessionBefore);
    expect(await readDevice()).toEqual(deviceBefore);
  });

  it('starts with WUTS_EMULATOR_WITH_REAL_SESSIONS=true and leaves those devices disconnected, their sessions kept', { timeout: 60_000 }, async () => {
    const sessionBefore = await sessionRows();
    const server = await startServer(env({ WUTS_EMULATOR_WITH_REAL_SESSIONS: 'true' }));
    servers.push(server);
    expect(server.output()).toMatch(/WhatsApp emulator \(sandbox\) at http:\/\/127\.0\.0\.1:\d+/);
    expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
    const device = await until('the device left alone', async () => {
      const d = await readDevice();
      return d.status === 'disconnected' && d.reason === LINKED_ELSEWHERE_REASON ? d : null;
    });
    expect(Boolean(device.auto_connect), 'still wanted: it reconnects on WhatsApp itself').toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await readDevice()).status).toBe('disconnected');
    expect(await sessionRows()).toEqual(sessionBefore);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it("starts without the override when the sessions were linked on the sandbox's own endpoint", { timeout: 60_000 }, async () => {
    const port = await closedPort();
    await database.db.kysely
      .updateTable('device_auth_creds')
      .set({ linked_endpoint: `ws://127.0.0.1:${port}/ws/chat` })
      .where('device_id', '=', deviceId)
      .execute();
    await database.db.kysely.updateTable('devices').set({ auto_connect: false }).where('id', '=', deviceId).execute();
    const server = await startServer(env({ WUTS_EMULATOR_PORT: String(port) }));
    servers.push(server);
    expect(server.output()).toContain(`WhatsApp connections go to ws://127.0.0.1:${port}/ws/chat`);
    const code = await server.stop('SIGTERM');
    expect(code, server.output()).toBe(0);
  });
});
