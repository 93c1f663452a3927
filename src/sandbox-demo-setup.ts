// The sandbox's demo, made through the public APIs of WUTS and of its emulator, and found again
// at the next start: two emulator accounts, a tenant with its admin, and a device.

/** The demo's fixed names: the sandbox is local, and a newcomer follows the README with them. */
export const DEMO = {
  tenant: 'Sandbox Demo',
  email: 'demo@example.com',
  password: 'sandbox-demo',
  device: 'Demo phone',
  /** the emulator account the demo device links to */
  phone: '15550001000',
  phoneName: 'Demo phone',
  /** the emulator account to talk to */
  peer: '15550002000',
  peerName: 'Demo peer',
} as const;

export interface Demo {
  wutsUrl: string;
  emulatorUrl: string;
  /** a token of the demo admin: from /register at the first start, from POST /login at the next ones (earlier ones stay valid until they expire) */
  token: string;
  tenantId: string;
  deviceId: string;
  /** the number the device is linked to, null before its first link */
  devicePhone: string | null;
}

export interface DemoTargets {
  wutsUrl: string;
  masterToken: string;
  emulatorUrl: string;
  /** WUTS_EMULATOR_ADMIN_TOKEN, when set */
  emulatorToken: string | undefined;
}

export class SandboxDemoError extends Error {}

type Json = Record<string, unknown>;

async function call(base: string, method: string, route: string, token: string | undefined, body?: Json): Promise<{ status: number; body: Json }> {
  const res = await fetch(base + route, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

function expectStatus(what: string, res: { status: number; body: Json }, ...statuses: number[]): Json {
  if (!statuses.includes(res.status)) throw new SandboxDemoError(`sandbox demo: ${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const field = (value: unknown, key: string): unknown => (value && typeof value === 'object' ? (value as Json)[key] : undefined);

async function ensureAccount(t: DemoTargets, phone: string, name: string): Promise<void> {
  const found = await call(t.emulatorUrl, 'GET', `/admin/accounts/${phone}`, t.emulatorToken);
  if (found.status === 200) return;
  expectStatus(`the emulator's account ${phone}`, found, 404);
  expectStatus(`creating the emulator's account ${phone}`, await call(t.emulatorUrl, 'POST', '/admin/accounts', t.emulatorToken, { phone, name }), 201);
}

/** Registers the demo tenant, or (registered at an earlier start) logs its admin in; answers a token. */
async function demoToken(t: DemoTargets): Promise<{ token: string; tenantId: string }> {
  const registered = await call(t.wutsUrl, 'POST', '/register', t.masterToken, { tenant_name: DEMO.tenant, email: DEMO.email, password: DEMO.password });
  if (registered.status === 201) return { token: String(registered.body.token), tenantId: String(field(registered.body.tenant, 'id')) };
  expectStatus('registering the demo tenant', registered, 409);
  const login = await call(t.wutsUrl, 'POST', '/login', undefined, { email: DEMO.email, password: DEMO.password });
  if (login.status !== 200)
    throw new SandboxDemoError(
      `sandbox demo: the demo admin ${DEMO.email} no longer logs in with the password "${DEMO.password}" (${login.status}); delete the sandbox directory to start afresh`,
    );
  return { token: String(login.body.token), tenantId: String(field(login.body.user, 'tenant_id')) };
}

async function demoDevice(t: DemoTargets, token: string): Promise<Json> {
  const list = expectStatus('listing the demo devices', await call(t.wutsUrl, 'GET', '/devices?limit=500', token), 200);
  const devices = Array.isArray(list.devices) ? (list.devices as Json[]) : [];
  const found = devices.find((d) => d.name === DEMO.device);
  if (found) return found;
  return field(expectStatus('creating the demo device', await call(t.wutsUrl, 'POST', '/devices', token, { name: DEMO.device }), 201), 'device') as Json;
}

export async function prepareDemo(t: DemoTargets): Promise<Demo> {
  await ensureAccount(t, DEMO.phone, DEMO.phoneName);
  await ensureAccount(t, DEMO.peer, DEMO.peerName);
  const { token, tenantId } = await demoToken(t);
  const device = await demoDevice(t, token);
  return {
    wutsUrl: t.wutsUrl,
    emulatorUrl: t.emulatorUrl,
    token,
    tenantId,
    deviceId: String(device.id),
    devicePhone: typeof device.phone === 'string' ? device.phone : null,
  };
}
