import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAccess, hostAllowed, isLoopback, tokenMatches } from '../src/admin/access.js';
import { EmulatorAdminClient, EmulatorAdminError, EmulatorConfigError, parseEmulatorArgs, startEmulator, type TestEmulator } from '../src/index.js';
import { silent, startTestEmulator } from './helpers.js';
import { startTestEmulator as startWithOptions } from '../src/testing.js';

const TOKEN = 'emulator-admin-token-0123456789abcdef';

/** A real HTTP request to 127.0.0.1:port with the given headers (Host included), answered as status and JSON body. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
const portOf = (emu: { url: string }) => Number(new URL(emu.url).port);

describe('the admin API on loopback without a token (the default, and the WUTS sandbox)', () => {
  let emu: TestEmulator;
  let port: number;
  beforeAll(async () => {
    emu = await startTestEmulator();
    port = portOf(emu);
  });
  afterAll(async () => emu?.close());

  it('answers without a token to the loopback names with its port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, 'localhost']) {
      const res = await get(port, '/admin/accounts', { host });
      expect(res.status, host).toBe(200);
      expect(res.body).toMatchObject({ success: true, accounts: [] });
    }
  });

  it('refuses any other Host with 421 host_not_allowed (DNS rebinding), on every route but /health', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost:${port + 1}`, `127.0.0.1.evil.example:${port}`, `[::2]:${port}`, 'a:b:c']) {
      const res = await get(port, '/admin/accounts', { host });
      expect(res.status, host).toBe(421);
      expect(res.body).toMatchObject({ success: false, code: 'host_not_allowed' });
    }
    expect((await get(port, '/openapi.json', { host: `evil.example:${port}` })).status).toBe(421);
    expect((await get(port, '/no/such/route', { host: `evil.example:${port}` })).status).toBe(421);
    expect((await get(port, '/health', { host: `evil.example:${port}` })).status).toBe(200);
  });

  it('the typed client needs no token', async () => {
    expect(await emu.admin.accounts()).toEqual([]);
  });
});

describe('the admin API with a token, bound to all addresses (0.0.0.0)', () => {
  let emu: TestEmulator;
  let port: number;
  beforeAll(async () => {
    emu = await startWithOptions({ host: '0.0.0.0', adminToken: TOKEN, allowedHosts: ['emu.internal', 'proxy.example:8443'], logger: silent });
    port = portOf(emu);
  });
  afterAll(async () => emu?.close());

  it('answers 401 without the token or with a wrong one, 200 with it', async () => {
    for (const authorization of [undefined, 'Bearer', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const res = await get(port, '/admin/accounts', authorization === undefined ? {} : { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'unauthorized' });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect((await get(port, '/openapi.json')).status).toBe(401);
    const ok = await get(port, '/admin/accounts', { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect((await get(port, '/admin/accounts', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    expect((await get(port, '/health')).status).toBe(200); // liveness needs no token
  });

  it('still checks the Host: loopback names, the bound address and --allowed-host entries pass, others get 421 even with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const host of [`localhost:${port}`, `0.0.0.0:${port}`, `emu.internal:${port}`, 'emu.internal', 'proxy.example:8443'])
      expect((await get(port, '/admin/accounts', { ...auth, host })).status, host).toBe(200);
    for (const host of [`evil.example:${port}`, `proxy.example:${port}`, `emu.internal:${port + 1}`]) {
      const res = await get(port, '/admin/accounts', { ...auth, host });
      expect(res.status, host).toBe(421);
      expect(res.body).toMatchObject({ success: false, code: 'host_not_allowed' });
    }
  });

  it('the typed client sends the token it is given; without it, calls fail with 401', async () => {
    expect(await emu.admin.createAccount('15550008001', 'Ann')).toMatchObject({ phone: '15550008001', phone_online: true }); // its phone reached /ws/chat without a token
    const local = new EmulatorAdminClient(`http://127.0.0.1:${port}`, { token: TOKEN });
    expect((await local.accounts()).map((a) => a.phone)).toEqual(['15550008001']);
    const anonymous = new EmulatorAdminClient(`http://127.0.0.1:${port}`);
    const err = await anonymous.accounts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmulatorAdminError);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
  });
});

describe('start-up rules', () => {
  it('refuses a non-loopback bind without a token, and a short token, before listening', async () => {
    await expect(startEmulator({ host: '0.0.0.0', port: 0, logger: silent })).rejects.toThrow(EmulatorConfigError);
    await expect(startEmulator({ host: '0.0.0.0', port: 0, logger: silent })).rejects.toThrow(/not a loopback address, without an admin token/);
    await expect(startEmulator({ host: '127.0.0.1', port: 0, adminToken: 'short', logger: silent })).rejects.toThrow(/at least 32 characters/);
    await expect(startEmulator({ host: '127.0.0.1', port: 0, adminToken: `${TOKEN} x`, logger: silent })).rejects.toThrow(/no spaces/);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopback(host), host).toBe(false);
  });

  it('checks tokens and Host headers as documented', () => {
    const access = adminAccess('::', TOKEN, ['Emu.Internal.', 'proxy.example:8443']);
    expect(tokenMatches(access, `Bearer ${TOKEN}`)).toBe(true);
    expect(tokenMatches(access, `Bearer ${TOKEN.toUpperCase()}`)).toBe(false);
    expect(tokenMatches(access, undefined)).toBe(false);
    expect(tokenMatches(adminAccess('127.0.0.1', undefined), undefined)).toBe(true);
    expect(hostAllowed(access, '[::]:7080', 7080)).toBe(true);
    expect(hostAllowed(access, 'emu.internal:7080', 7080)).toBe(true);
    expect(hostAllowed(access, 'emu.internal:7081', 7080)).toBe(false);
    expect(hostAllowed(access, 'proxy.example:8443', 7080)).toBe(true);
    expect(hostAllowed(access, 'proxy.example', 7080)).toBe(false);
    expect(hostAllowed(access, undefined, 7080)).toBe(false);
    expect(hostAllowed(access, '', 7080)).toBe(false);
  });

  it('wuts emulator: --admin-token (or WUTS_EMULATOR_ADMIN_TOKEN) and --allowed-host', () => {
    expect(
      parseEmulatorArgs(['--host', '0.0.0.0', '--admin-token', TOKEN, '--allowed-host', 'a.example,b.example', '--allowed-host=c.example:80'], {}),
    ).toMatchObject({
      host: '0.0.0.0',
      adminToken: TOKEN,
      allowedHosts: ['a.example', 'b.example', 'c.example:80'],
    });
    expect(parseEmulatorArgs([], { WUTS_EMULATOR_ADMIN_TOKEN: TOKEN })).toMatchObject({ adminToken: TOKEN, host: '127.0.0.1' });
    expect(parseEmulatorArgs(['--admin-token', `${TOKEN}2`], { WUTS_EMULATOR_ADMIN_TOKEN: TOKEN })).toMatchObject({ adminToken: `${TOKEN}2` });
    expect(parseEmulatorArgs([], {})).toMatchObject({ adminToken: undefined, allowedHosts: [] });
  });

  it('wuts emulator --host 0.0.0.0 without a token stops with one line and exit code 2', () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const env = { ...process.env, WUTS_EMULATOR_ADMIN_TOKEN: '' };
    const res = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import(${JSON.stringify(dist)}).then((m) => m.runEmulatorCli(['--host', '0.0.0.0', '--port', '0']))`],
      {
        env,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toEqual([
      'wuts emulator: refusing to serve the admin API on 0.0.0.0, which is not a loopback address, without an admin token (--admin-token or WUTS_EMULATOR_ADMIN_TOKEN)',
    ]);
  });
});
