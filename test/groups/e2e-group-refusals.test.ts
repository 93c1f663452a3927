import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, startWorld, tenantWithDevice, type MessagingWorld, type TenantWithDevice } from '../messages/world.js';
import { createUser } from '../helpers/factories.js';
import { admin, groupPath, peerView } from './group-world.js';

/**
 * Every group route's refusals, with the device connected through the real provider: no token
 * (401), another tenant's device or group (404), roles below supervisor managing (403), bad
 * groups, participants and invites (400), a group the number is not in (404), a group it is
 * not an admin of (403), a device not connected (409).
 */
const A = '15554440001'; // tenant 1's device
const X = '15554440002'; // tenant 2's device
const B = '15554440003';
const C = '15554440004';

let w: MessagingWorld;
let t1: TenantWithDevice;
let t2: TenantWithDevice;
let tokens: Record<'supervisor' | 'agent' | 'viewer', string>;
let mine: string; // created by A with B
let notMine: string; // B and C only
let memberOnly: string; // B's, with A as a member

const PNG = readFileSync('test/fixtures/photo.png').toString('base64');
const TRUNCATED_PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64');

interface Route {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** the path under /devices/{id}/groups, given the group */
  path: (group: string) => string;
  body?: () => unknown;
  manage: boolean;
  /** names a group in its path */
  group: boolean;
}

const ROUTES: Route[] = [
  { name: 'list', method: 'GET', path: () => '', manage: false, group: false },
  { name: 'create', method: 'POST', path: () => '', body: () => ({ subject: 'x', participants: [B] }), manage: true, group: false },
  { name: 'join', method: 'POST', path: () => '/join', body: () => ({ invite: 'AbCdEfGhIjKlMnOpQrStUv' }), manage: true, group: false },
  { name: 'get', method: 'GET', path: (g) => `/${g}`, manage: false, group: true },
  { name: 'update', method: 'PUT', path: (g) => `/${g}`, body: () => ({ subject: 'renamed' }), manage: true, group: true },
  { name: 'participants', method: 'POST', path: (g) => `/${g}/participants`, body: () => ({ action: 'add', participants: [C] }), manage: true, group: true },
  { name: 'invite', method: 'GET', path: (g) => `/${g}/invite`, manage: true, group: true },
  { name: 'revoke', method: 'POST', path: (g) => `/${g}/invite`, manage: true, group: true },
  { name: 'join requests', method: 'GET', path: (g) => `/${g}/join-requests`, manage: false, group: true },
  {
    name: 'answer requests',
    method: 'POST',
    path: (g) => `/${g}/join-requests`,
    body: () => ({ action: 'approve', participants: [C] }),
    manage: true,
    group: true,
  },
  { name: 'leave', method: 'POST', path: (g) => `/${g}/leave`, manage: true, group: true },
  { name: 'picture', method: 'GET', path: (g) => `/${g}/picture`, manage: false, group: true },
  { name: 'set picture', method: 'PUT', path: (g) => `/${g}/picture`, body: () => ({ data: PNG }), manage: true, group: true },
  { name: 'remove picture', method: 'DELETE', path: (g) => `/${g}/picture`, manage: true, group: true },
];

async function call(token: string | undefined, deviceId: string, route: Route, group: string) {
  return w.t.call(route.method, `/devices/${deviceId}/groups${route.path(group)}`, token, route.body?.());
}

function expectError(res: { statusCode: number; body: string; json(): any }, status: number, code: string, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
  expect(res.json(), what).toMatchObject({ success: false, code, error: expect.any(String) });
}

beforeAll(async () => {
  w = await startWorld();
  for (const phone of [A, X, B, C]) await createAccount(w.emu, phone);
  t1 = await tenantWithDevice(w, A);
  t2 = await tenantWithDevice(w, X);
  const fixture = { tenantId: t1.tenantId, adminId: '', adminEmail: '', adminToken: t1.token };
  tokens = {
    supervisor: (await createUser(w.t, fixture, 'supervisor')).token,
    agent: (await createUser(w.t, fixture, 'agent')).token,
    viewer: (await createUser(w.t, fixture, 'viewer')).token,
  };
  const created = await w.t.call('POST', groupPath(t1), t1.token, { subject: 'Mine', participants: [B] });
  expect(created.statusCode, created.body).toBe(201);
  mine = created.json().group.jid;
  notMine = (await admin(w).createGroup(B, 'Not mine', [C])).group.id;
  memberOnly = (await admin(w).createGroup(B, 'Member only', [A])).group.id;
}, 120_000);
afterAll(async () => w?.close(), 60_000);

describe('who may call', () => {
  it('no token: 401 on every route', async () => {
    for (const route of ROUTES) expectError(await call(undefined, t1.deviceId, route, mine), 401, 'unauthorized', route.name);
  });

  it("another tenant's device: 404 on every route", async () => {
    for (const route of ROUTES) expectError(await call(t2.token, t1.deviceId, route, mine), 404, 'not_found', route.name);
  });

  it("another tenant's group, through that tenant's own device: 404 group_not_found", async () => {
    for (const route of ROUTES.filter((r) => r.group)) expectError(await call(t2.token, t2.deviceId, route, mine), 404, 'group_not_found', route.name);
    expect((await w.t.call('GET', groupPath(t2), t2.token)).json().groups).toEqual([]);
  });

  it('viewers and agents may read but not manage (403); nothing changes', async () => {
    for (const role of ['viewer', 'agent'] as const) {
      for (const route of ROUTES.filter((r) => r.manage))
        expectError(await call(tokens[role], t1.deviceId, route, mine), 403, 'forbidden', `${role} ${route.name}`);
      for (const route of ROUTES.filter((r) => !r.manage))
        expect((await call(tokens[role], t1.deviceId, route, mine)).statusCode, `${role} ${route.name}`).toBe(200);
    }
    const group = (await w.t.call('GET', groupPath(t1, mine), tokens.viewer)).json().group;
    expect(group).toMatchObject({ subject: 'Mine', size: 2, invite_code: null }); // readers do not get the code
    expect(await peerView(w, C, mine)).toBeNull();
  });

  it('a supervisor manages', async () => {
    const res = await w.t.call('PUT', groupPath(t1, mine), tokens.supervisor, { description: 'by the supervisor' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().group.invite_code).toEqual(expect.any(String));
    expect((await peerView(w, B, mine))?.description?.text).toBe('by the supervisor');
  });
});

describe('bad input: 400', () => {
  it('a group that is not a group JID, on every group route', async () => {
    for (const bad of ['abc', `${B}@s.whatsapp.net`, '12@g.us', '120363041234567890', '120363041234567890@g.us.evil'])
      for (const route of ROUTES.filter((r) => r.group))
        expectError(await call(t1.token, t1.deviceId, route, encodeURIComponent(bad)), 400, 'invalid_group', `${route.name} ${bad}`);
  });

  it('bad participant lists', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', groupPath(t1), { subject: 'x', participants: ['abc'] }, 'invalid_participant'],
      ['POST', groupPath(t1), { subject: 'x', participants: [`${B}@g.us`] }, 'invalid_participant'],
      ['POST', groupPath(t1), { subject: 'x', participants: ['123'] }, 'invalid_participant'],
      ['POST', groupPath(t1), { subject: 'x', participants: [B, `+${B}`] }, 'duplicate_participant'],
      ['POST', groupPath(t1), { subject: 'x', participants: [B, `${B}@s.whatsapp.net`] }, 'duplicate_participant'],
      ['POST', groupPath(t1), { subject: '', participants: [B] }, 'invalid_request'],
      ['POST', groupPath(t1), { subject: 'x', participants: [B], extra: 1 }, 'invalid_request'],
      ['POST', groupPath(t1, mine, '/participants'), { action: 'add', participants: [] }, 'invalid_request'],
      ['POST', groupPath(t1, mine, '/participants'), { action: 'kick', participants: [B] }, 'invalid_request'],
      ['POST', groupPath(t1, mine, '/participants'), { action: 'add', participants: ['+55 (11) 9'] }, 'invalid_participant'],
      ['POST', groupPath(t1, mine, '/join-requests'), { action: 'approve', participants: ['x@lid'] }, 'invalid_participant'],
      ['PUT', groupPath(t1, mine), {}, 'invalid_request'],
      ['PUT', groupPath(t1, mine), { ephemeral_seconds: 5 }, 'invalid_request'],
      ['PUT', groupPath(t1, mine), { owner: B }, 'invalid_request'],
      ['POST', groupPath(t1, undefined, '/join'), { invite: 'not a code!' }, 'invalid_invite'],
      ['POST', groupPath(t1, undefined, '/join'), { invite: 'https://evil.example/AbCdEfGhIjKlMnOpQrStUv' }, 'invalid_invite'],
      ['PUT', groupPath(t1, mine, '/picture'), { data: Buffer.from('not an image').toString('base64') }, 'media_type_mismatch'],
      ['PUT', groupPath(t1, mine, '/picture'), { data: TRUNCATED_PNG }, 'invalid_image'],
      ['PUT', groupPath(t1, mine, '/picture'), { data: PNG, media_id: '0193a0e0-0000-7000-8000-000000000000' }, 'invalid_request'],
      ['GET', `${groupPath(t1)}?cursor=bm90IGEgZ3JvdXA`, undefined, 'invalid_cursor'],
    ];
    for (const [method, path, body, code] of cases)
      expectError(await w.t.call(method as 'GET', path, t1.token, body), 400, code, `${method} ${path} ${JSON.stringify(body)}`);
    expect((await peerView(w, B, mine))?.participants).toHaveLength(2);
  });
});

describe("WhatsApp's refusals", () => {
  it('a group the number is not in: 404 group_not_found on every group route', async () => {
    for (const route of ROUTES.filter((r) => r.group)) expectError(await call(t1.token, t1.deviceId, route, notMine), 404, 'group_not_found', route.name);
    expectError(
      await call(
        t1.token,
        t1.deviceId,
        ROUTES.find((r) => r.name === 'get')!,
        '120363000000000001@g.us',
      ),
      404,
      'group_not_found',
      'no such group',
    );
    expect((await peerView(w, B, notMine))?.subject).toBe('Not mine');
  });

  it('a group the number is in but not an admin of: 403 not_group_admin', async () => {
    for (const name of ['participants', 'invite', 'revoke', 'join requests', 'answer requests']) {
      const route = ROUTES.find((r) => r.name === name)!;
      expectError(await call(t1.token, t1.deviceId, route, memberOnly), 403, 'not_group_admin', name);
    }
    expectError(await w.t.call('PUT', groupPath(t1, memberOnly), t1.token, { announce: true }), 403, 'not_group_admin', 'settings');
    const read = await w.t.call('GET', groupPath(t1, memberOnly), t1.token);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().group).toMatchObject({ role: 'member', invite_code: null, settings: { announce: false } });
  });

  it("pictures: another tenant's upload is 404, one over 5 MiB 413, and nothing reaches WhatsApp", async () => {
    const upload = await w.t.app.inject({
      method: 'POST',
      url: '/media',
      headers: { authorization: `Bearer ${t2.token}`, 'content-type': 'image/png' },
      payload: readFileSync('test/fixtures/photo.png'),
    });
    expect(upload.statusCode, upload.body).toBe(201);
    expectError(await w.t.call('PUT', groupPath(t1, mine, '/picture'), t1.token, { media_id: upload.json().media.id }), 404, 'not_found', 'foreign media');
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0xff);
    expectError(await w.t.call('PUT', groupPath(t1, mine, '/picture'), t1.token, { data: big.toString('base64') }), 413, 'media_too_large', 'too large');
    expect((await peerView(w, B, mine))?.picture).toBeNull();
  });

  it('an invite code no group has: 404 invite_not_found', async () => {
    expectError(await w.t.call('POST', groupPath(t1, undefined, '/join'), t1.token, { invite: 'AAAAAAAAAAAAAAAAAAAAAA' }), 404, 'invite_not_found', 'join');
  });

  it('a device that is not connected: 409 device_not_connected on every route', async () => {
    const created = await w.t.call('POST', '/devices', t1.token, { name: 'never linked' });
    const idle = created.json().device.id as string;
    for (const route of ROUTES) expectError(await call(t1.token, idle, route, mine), 409, 'device_not_connected', route.name);
  });
});
