// `wuts sandbox` (npm run sandbox) as the README's "Your first message" walks through it: the
// built command on free ports and a data directory of its own, its banner read for the demo's
// values, then over HTTP: link the demo device with a pairing code typed on the emulator's
// phone, a webhook to examples/webhook-receiver.mjs, a message to the peer and its answer back,
// the receiver verifying each signature; and a second start finds the same demo.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN } from '../helpers/cli.js';
import { api, ok } from '../helpers/http.js';
import { closedPort } from '../helpers/ports.js';
import { startNodeProcess, type RunningProcess } from '../helpers/process.js';
import { until } from '../helpers/wait.js';

const READY = /Stop with Ctrl-C.*\n/;
const RECEIVER = path.resolve('examples/webhook-receiver.mjs');

let dir: string;
let ports: { wuts: string; emulator: string; receiver: string };
const started: RunningProcess[] = [];

/** Starts the sandbox and answers the values of the `export NAME=value` lines it printed. */
async function startSandbox(): Promise<{ process: RunningProcess; banner: string; vars: Record<string, string> }> {
  const sandbox = startNodeProcess([MAIN, 'sandbox'], { WUTS_SANDBOX_DIR: dir, PORT: ports.wuts, WUTS_EMULATOR_PORT: ports.emulator });
  started.push(sandbox);
  const banner = await sandbox.waitFor(READY, 45_000);
  const vars = Object.fromEntries([...banner.matchAll(/^\s*export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { process: sandbox, banner, vars };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-sandbox-'));
  ports = { wuts: String(await closedPort()), emulator: String(await closedPort()), receiver: String(await closedPort()) };
});

afterAll(async () => {
  for (const p of started) await p.stop('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm run sandbox, then "Your first message"', () => {
  let first: Awaited<ReturnType<typeof startSandbox>>;
  let v: Record<string, string>;

  it('starts WUTS with the emulator and a demo, and prints what to open and the values to use', async () => {
    first = await startSandbox();
    v = first.vars;
    expect(Object.keys(v).sort()).toEqual(['DEMO_PHONE', 'DEVICE', 'EMULATOR', 'PEER', 'TOKEN', 'WUTS']);
    expect(v.WUTS).toBe(`http://127.0.0.1:${ports.wuts}`);
    expect(v.EMULATOR).toBe(`http://127.0.0.1:${ports.emulator}`);
    expect(v.TOKEN).toMatch(/^wuts_tok_/);
    expect(first.banner).toContain(`${v.WUTS}/docs`);
    expect(first.banner).toContain(`Dashboard        ${v.WUTS}/`);
    expect(first.banner).toContain('demo@example.com / sandbox-demo');
    expect(first.banner).toContain(`not linked yet: link it to the emulator's number ${v.DEMO_PHONE}`);

    // the same lines in a file of the sandbox's directory, for `source`, readable by its owner only
    const envFile = path.join(dir, 'sandbox.env');
    expect(fs.readFileSync(envFile, 'utf8')).toBe(
      Object.entries(v)
        .map(([k, value]) => `export ${k}=${value}\n`)
        .join(''),
    );
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);

    const me = await ok(api(v.WUTS!, 'GET', '/me', v.TOKEN), 200);
    expect(me.user).toMatchObject({ email: 'demo@example.com', role: 'admin' });
    const device = await ok(api(v.WUTS!, 'GET', `/devices/${v.DEVICE}`, v.TOKEN), 200);
    expect(device.device).toMatchObject({ name: 'Demo phone', phone: null });
    for (const phone of [v.DEMO_PHONE, v.PEER]) await ok(api(v.EMULATOR!, 'GET', `/admin/accounts/${phone}`), 200);
    // the API reference the banner points at
    expect((await fetch(`${v.WUTS}/docs`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
  }, 60_000);

  it('links the demo device: a pairing code, typed on the emulated phone', async () => {
    const connect = await ok(api(v.WUTS!, 'POST', `/devices/${v.DEVICE}/connect`, v.TOKEN, { phone_number: v.DEMO_PHONE }, 30_000), 200);
    expect(connect.pairing_code).toMatch(/^[A-Z0-9-]{8,9}$/);
    await ok(api(v.EMULATOR!, 'POST', '/admin/pair', undefined, { phone: v.DEMO_PHONE, code: connect.pairing_code }, 30_000), 200);
    await until('the demo device connected', async () => (await api(v.WUTS!, 'GET', `/devices/${v.DEVICE}`, v.TOKEN)).body.device.status === 'connected');
  }, 60_000);

  it('sends to the peer and gets message.* webhooks, verified by the example receiver', async () => {
    const hook = await ok(api(v.WUTS!, 'POST', '/webhooks', v.TOKEN, { url: `http://127.0.0.1:${ports.receiver}/hook`, event_types: ['message.*'] }), 201);
    const { secret } = await ok(api(v.WUTS!, 'GET', `/webhooks/${hook.webhook.id}/secret`, v.TOKEN), 200);
    const receiver = startNodeProcess([RECEIVER], { PORT: ports.receiver, WUTS_WEBHOOK_SECRET: secret });
    started.push(receiver);
    await receiver.waitFor(/listening on/, 10_000);

    const sent = await ok(api(v.WUTS!, 'POST', `/devices/${v.DEVICE}/messages`, v.TOKEN, { type: 'text', to: v.PEER, text: 'Hello from WUTS' }), 202);
    const received = await until('the peer received the message', async () => {
      const { body } = await api(v.EMULATOR!, 'GET', `/admin/accounts/${v.PEER}/messages`);
      return body.received.find((m: any) => m.id === sent.message.wa_id);
    });
    expect(received).toMatchObject({ from: v.DEMO_PHONE, text: 'Hello from WUTS' });

    await ok(api(v.EMULATOR!, 'POST', `/admin/accounts/${v.PEER}/messages`, undefined, { to: v.DEMO_PHONE, text: 'Hi WUTS!' }), 201);
    await receiver.waitFor(/verified message\.received .*Hi WUTS!/, 20_000);
    await receiver.waitFor(/verified message\.sent .*Hello from WUTS/, 20_000);
    await receiver.waitFor(/verified message\.status .*"status":"delivered"/, 20_000);
    expect(receiver.output()).not.toContain('REFUSED');

    // a request WUTS did not sign is refused
    const forged = await fetch(`http://127.0.0.1:${ports.receiver}/hook`, {
      method: 'POST',
      headers: { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,Zm9yZ2Vk' },
      body: JSON.stringify({ type: 'message.received', data: {} }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(forged.status).toBe(400);
    await receiver.waitFor(/REFUSED \(bad signature\)/, 5_000);
  }, 90_000);

  it('starts again on the same directory with the same tenant, device and link', async () => {
    expect(await first.process.stop()).toBe(0);
    const second = await startSandbox();
    expect(second.vars.DEVICE).toBe(v.DEVICE);
    expect(second.vars.TOKEN).not.toBe(v.TOKEN);
    expect(second.banner).toContain(`linked to ${v.DEMO_PHONE}`);
    const before = await ok(api(v.WUTS!, 'GET', '/me', v.TOKEN), 200);
    const after = await ok(api(v.WUTS!, 'GET', '/me', second.vars.TOKEN), 200);
    expect(after.user.tenant_id).toBe(before.user.tenant_id);
    const tenants = await ok(api(v.WUTS!, 'GET', '/tenants', fs.readFileSync(path.join(dir, 'master-token'), 'utf8').trim()), 200);
    expect(tenants.tenants.map((t: any) => t.name)).toEqual(['Sandbox Demo']);
    await until('the demo device connected again', async () => (await api(v.WUTS!, 'GET', `/devices/${v.DEVICE}`, v.TOKEN)).body.device.status === 'connected');
  }, 90_000);
});

describe('npm run sandbox on a port in use', () => {
  it('stops with one line saying which port and how to choose others', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = String((taken.address() as net.AddressInfo).port);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-sandbox-taken-'));
    try {
      const sandbox = startNodeProcess([MAIN, 'sandbox'], { WUTS_SANDBOX_DIR: otherDir, PORT: port, WUTS_EMULATOR_PORT: String(await closedPort()) });
      started.push(sandbox);
      await sandbox.waitFor(/wuts: .*EADDRINUSE.*\n/, 30_000);
      // it exits by itself once it has said so (no signal: a SIGTERM would race its exit)
      await until('the sandbox exits', () => sandbox.child.exitCode !== null || sandbox.child.signalCode !== null, 10_000);
      expect(sandbox.child.exitCode).toBe(1);
      expect(sandbox.output()).toContain(
        `127.0.0.1:${port}: another program uses that port; start the sandbox on other ones, e.g. PORT=8081 WUTS_EMULATOR_PORT=7081 npm run sandbox`,
      );
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  }, 40_000);
});
