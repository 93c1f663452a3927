import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, startWorld, tenantWithDevice, waitForEvent, type MessagingWorld, type TenantWithDevice } from '../messages/world.js';
import { until } from '../helpers/wait.js';
import { createUser } from '../helpers/factories.js';
import { admin, groupCall, groupPath, peerView, roleIn } from './group-world.js';

/**
 * The group API through the real Baileys provider and the emulator: WUTS's device (A) creates
 * and runs a group with peers, whose phones (the emulator's admin API) see every change; the
 * group.* events reach a real receiver, signed.
 */
const A = '15553330001'; // the WUTS device
const B = '15553330002';
const C = '15553330003';
const PRIVATE = '15553330004'; // nobody may add it to groups
const JOINER = '15553330005'; // joins by the invite link
const ASKER = '15553330006'; // asks to join, approved
const REFUSED = '15553330007'; // asks to join, rejected
const NOBODY = '15553339999'; // not on WhatsApp

let w: MessagingWorld;
let a: TenantWithDevice;
let group: string;

const api = (method: string, path: string, status: number, body?: unknown) => groupCall(w, a.token, method, path, status, body);
const person = (phone: string) => expect.objectContaining({ phone, lid: expect.stringMatching(/^\d+@lid$/) });

beforeAll(async () => {
  w = await startWorld();
  for (const [phone, name] of [
    [A, 'WUTS A'],
    [B, 'Bia'],
    [C, 'Caio'],
    [PRIVATE, 'Private'],
    [JOINER, 'Joana'],
    [ASKER, 'Asker'],
    [REFUSED, 'Refused'],
  ] as const)
    await createAccount(w.emu, phone, name);
  await admin(w).setPrivacy(PRIVATE, 'nobody');
  a = await tenantWithDevice(w, A);
}, 90_000);
afterAll(async () => w?.close(), 60_000);

describe('creating and reading', () => {
  it('WUTS creates a group with two peers (one given with a leading +), which see it; group.created is delivered', async () => {
    const created = await api('POST', groupPath(a), 201, { subject: 'Acme support', participants: [B, `+${C}`] });
    group = created.group.jid;
    expect(group).toMatch(/^120363\d{12}@g\.us$/);
    expect(created.participants).toEqual([
      { jid: `${B}@s.whatsapp.net`, phone: B, status: 'added', code: 200 },
      { jid: `${C}@s.whatsapp.net`, phone: C, status: 'added', code: 200 },
    ]);
    expect(created.group).toMatchObject({
      subject: 'Acme support',
      description: null,
      owner: person(A),
      role: 'superadmin',
      size: 3,
      settings: { announce: false, locked: false, ephemeral_seconds: 0, member_add_mode: 'admins', join_approval: false },
      invite_code: expect.any(String),
    });
    expect(created.group.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Object.fromEntries(created.group.participants.map((p: any) => [p.phone, p.role]))).toEqual({ [A]: 'superadmin', [B]: 'member', [C]: 'member' });

    for (const peer of [B, C]) expect((await peerView(w, peer, group))?.subject).toBe('Acme support');
    const event = await waitForEvent(w, 'group.created', (d) => d.group_jid === group);
    expect(event).toMatchObject({ version: 1, tenant_id: a.tenantId, device_id: a.deviceId });
    expect(event.data.group).toMatchObject({ jid: group, subject: 'Acme support', size: 3, role: 'superadmin' });
    expect(event.data.group.participants.map((p: any) => p.phone).sort()).toEqual([A, B, C].sort());
  });

  it('GET lists the groups, keyset-paginated by JID, and reads one with its participants', async () => {
    const second = (await api('POST', groupPath(a), 201, { subject: 'Second', participants: [] })).group.jid;
    const all = await api('GET', groupPath(a), 200);
    expect(all.groups.map((g: any) => g.jid)).toEqual([group, second].sort());
    expect(all.next_cursor).toBeNull();
    expect(all.groups.find((g: any) => g.jid === group)).toEqual({
      jid: group,
      subject: 'Acme support',
      description: null,
      owner: expect.objectContaining({ phone: A }),
      created_at: expect.any(String),
      settings: { announce: false, locked: false, ephemeral_seconds: 0, member_add_mode: 'admins', join_approval: false },
      size: 3,
      role: 'superadmin',
    });
    const first = await api('GET', `${groupPath(a)}?limit=1`, 200);
    expect(first.groups).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));
    const next = await api('GET', `${groupPath(a)}?limit=1&cursor=${first.next_cursor}`, 200);
    expect([first.groups[0].jid, next.groups[0].jid]).toEqual([group, second].sort());
    expect(next.next_cursor).toBeNull();

    const one = await api('GET', groupPath(a, group), 200);
    expect(one.group).toMatchObject({ jid: group, subject: 'Acme support', role: 'superadmin', invite_code: expect.any(String) });
    expect(one.group.participants).toEqual(
      expect.arrayContaining([expect.objectContaining({ phone: B, role: 'member', lid: expect.stringMatching(/@lid$/) })]),
    );
  });
});

describe('changing the group', () => {
  it('the subject reaches the peers, and group.updated says who changed it', async () => {
    const res = await api('PUT', groupPath(a, group), 200, { subject: 'Acme support (BR)' });
    expect(res.group.subject).toBe('Acme support (BR)');
    expect((await peerView(w, B, group))?.subject).toBe('Acme support (BR)');
    const event = await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.subject === 'Acme support (BR)');
    expect(event.data).toEqual({ group_jid: group, author: person(A), changes: { subject: 'Acme support (BR)' } });
  });

  it('the description is set and removed', async () => {
    await api('PUT', groupPath(a, group), 200, { description: 'Tickets and escalations' });
    expect((await peerView(w, C, group))?.description?.text).toBe('Tickets and escalations');
    await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.description === 'Tickets and escalations');
    const removed = await api('PUT', groupPath(a, group), 200, { description: null });
    expect(removed.group.description).toBeNull();
    expect((await peerView(w, C, group))?.description).toBeNull();
    await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.description === null);
  });

  it('settings: announce, locked, the timer, member add mode; the peers see them and events follow', async () => {
    const res = await api('PUT', groupPath(a, group), 200, { announce: true, locked: true, ephemeral_seconds: 86400, member_add_mode: 'all_members' });
    expect(res.group.settings).toEqual({ announce: true, locked: true, ephemeral_seconds: 86400, member_add_mode: 'all_members', join_approval: false });
    expect(await peerView(w, B, group)).toMatchObject({ announce: true, locked: true, ephemeral: 86400, member_add_mode: 'all_member_add' });
    await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.announce === true);
    await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.ephemeral_seconds === 86400);
    // back, one change per call: each is its own event
    for (const change of [{ announce: false }, { locked: false }, { member_add_mode: 'admins' }] as const) {
      await api('PUT', groupPath(a, group), 200, change);
      const [key, value] = Object.entries(change)[0]!;
      await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes[key] === value, `group.updated ${key}`);
    }
    expect(await peerView(w, B, group)).toMatchObject({ announce: false, locked: false, member_add_mode: 'admin_add' });
  });
});

describe('participants', () => {
  it('add reports each participant: privacy refused, not on WhatsApp, already in', async () => {
    const res = await api('POST', groupPath(a, group, '/participants'), 200, { action: 'add', participants: [PRIVATE, NOBODY, `${B}@s.whatsapp.net`] });
    expect(res.participants).toEqual([
      { jid: `${PRIVATE}@s.whatsapp.net`, phone: PRIVATE, status: 'privacy_refused', code: 403 },
      { jid: `${NOBODY}@s.whatsapp.net`, phone: NOBODY, status: 'not_on_whatsapp', code: 404 },
      { jid: `${B}@s.whatsapp.net`, phone: B, status: 'already_participant', code: 409 },
    ]);
    expect(await peerView(w, PRIVATE, group)).toBeNull();
  });

  it('promote, demote and remove reach the peers; group.participants says what and who', async () => {
    const promoted = await api('POST', groupPath(a, group, '/participants'), 200, { action: 'promote', participants: [B] });
    expect(promoted.participants).toEqual([{ jid: `${B}@s.whatsapp.net`, phone: B, status: 'promoted', code: 200 }]);
    expect(roleIn(await peerView(w, B, group), B)).toBe('admin');
    const ev = await waitForEvent(w, 'group.participants', (d) => d.group_jid === group && d.action === 'promoted');
    expect(ev.data).toEqual({ group_jid: group, author: person(A), action: 'promoted', participants: [person(B)] });

    await api('POST', groupPath(a, group, '/participants'), 200, { action: 'demote', participants: [B] });
    expect(roleIn(await peerView(w, B, group), B)).toBe('member');
    await waitForEvent(w, 'group.participants', (d) => d.group_jid === group && d.action === 'demoted');

    const removed = await api('POST', groupPath(a, group, '/participants'), 200, { action: 'remove', participants: [C, PRIVATE] });
    expect(removed.participants.map((p: any) => [p.phone, p.status])).toEqual([
      [C, 'removed'],
      [PRIVATE, 'not_a_participant'],
    ]);
    expect(await peerView(w, C, group)).toBeNull();
    const rm = await waitForEvent(w, 'group.participants', (d) => d.group_jid === group && d.action === 'removed');
    expect(rm.data.participants).toEqual([person(C)]);

    const added = await api('POST', groupPath(a, group, '/participants'), 200, { action: 'add', participants: [C] });
    expect(added.participants[0].status).toBe('added');
    await waitForEvent(w, 'group.participants', (d) => d.group_jid === group && d.action === 'added');
  });

  it('a peer who leaves is a group.participants left', async () => {
    await admin(w).leaveGroup(C, group);
    const ev = await waitForEvent(w, 'group.participants', (d) => d.group_jid === group && d.action === 'left');
    expect(ev.data).toEqual({ group_jid: group, author: person(C), action: 'left', participants: [person(C)] });
  });
});

describe('invites and join requests', () => {
  it('a third account joins by the invite link (joined); the revoked code joins nobody', async () => {
    const invite = (await api('GET', groupPath(a, group, '/invite'), 200)).invite;
    expect(invite.link).toBe(`https://chat.whatsapp.com/${invite.code}`);
    expect((await admin(w).joinGroup(JOINER, invite.code)).state).toBe('joined');
    const ev = await waitForEvent(w, 'group.participants', (d) => d.group_jid === group && d.action === 'joined');
    expect(ev.data).toEqual({ group_jid: group, author: person(JOINER), action: 'joined', participants: [person(JOINER)] });

    const revoked = (await api('POST', groupPath(a, group, '/invite'), 200)).invite;
    expect(revoked.code).not.toBe(invite.code);
    await expect(admin(w).joinGroup(ASKER, invite.code)).rejects.toMatchObject({ status: 404 });
  });

  it('with join approval on, requests come as group.join_request; one approved, one rejected', async () => {
    await api('PUT', groupPath(a, group), 200, { join_approval: true });
    const code = (await api('GET', groupPath(a, group, '/invite'), 200)).invite.code;
    expect((await admin(w).joinGroup(ASKER, code)).state).toBe('requested');
    expect((await admin(w).joinGroup(REFUSED, code)).state).toBe('requested');
    const ev = await waitForEvent(w, 'group.join_request', (d) => d.group_jid === group && d.participant.phone === ASKER);
    expect(ev.data).toMatchObject({ action: 'created', method: 'invite_link', participant: person(ASKER) });

    const pending = await api('GET', groupPath(a, group, '/join-requests'), 200);
    expect(pending.requests.map((r: any) => r.phone).sort()).toEqual([ASKER, REFUSED].sort());
    expect(pending.requests[0]).toMatchObject({ method: 'invite_link', requested_at: expect.any(String), lid: expect.stringMatching(/@lid$/) });

    const approved = await api('POST', groupPath(a, group, '/join-requests'), 200, { action: 'approve', participants: [ASKER, B] });
    expect(approved.participants).toEqual([
      { jid: `${ASKER}@s.whatsapp.net`, phone: ASKER, status: 'approved', code: 200 },
      { jid: `${B}@s.whatsapp.net`, phone: B, status: 'no_request', code: 404 },
    ]);
    expect(roleIn(await peerView(w, ASKER, group), ASKER)).toBe('member');
    const rejected = await api('POST', groupPath(a, group, '/join-requests'), 200, { action: 'reject', participants: [REFUSED] });
    expect(rejected.participants[0].status).toBe('rejected');
    expect(await peerView(w, REFUSED, group)).toBeNull();
    await waitForEvent(w, 'group.join_request', (d) => d.group_jid === group && d.participant.phone === REFUSED && d.action === 'rejected');
    expect((await api('GET', groupPath(a, group, '/join-requests'), 200)).requests).toEqual([]);
  });
});

describe('the picture', () => {
  it('set, read and removed; the peers see it and group.updated says so', async () => {
    expect((await api('GET', groupPath(a, group, '/picture'), 200)).picture).toBeNull();
    const jpeg = readFileSync('test/fixtures/photo.jpg');
    await api('PUT', groupPath(a, group, '/picture'), 200, { data: jpeg.toString('base64') });
    const picture = (await api('GET', groupPath(a, group, '/picture'), 200)).picture;
    const peer = await peerView(w, B, group);
    expect(peer?.picture).toMatchObject({ set_by: A });
    expect(picture).toEqual({ id: peer!.picture!.id, url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/pps\/g\//) });
    await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.picture === 'set');

    // an upload (POST /media) works too, and makes a new picture
    const upload = await w.t.app.inject({
      method: 'POST',
      url: '/media',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'image/png' },
      payload: readFileSync('test/fixtures/photo.png'),
    });
    expect(upload.statusCode, upload.body).toBe(201);
    await api('PUT', groupPath(a, group, '/picture'), 200, { media_id: upload.json().media.id });
    const replaced = (await api('GET', groupPath(a, group, '/picture'), 200)).picture;
    expect(replaced.id).not.toBe(picture.id);
    expect((await peerView(w, B, group))?.picture?.id).toBe(replaced.id);

    await api('DELETE', groupPath(a, group, '/picture'), 200);
    expect((await api('GET', groupPath(a, group, '/picture'), 200)).picture).toBeNull();
    expect((await peerView(w, B, group))?.picture).toBeNull();
    await waitForEvent(w, 'group.updated', (d) => d.group_jid === group && d.changes.picture === 'removed');
  });
});

describe('joining and leaving', () => {
  it("WUTS joins a peer's group by link, as a member, then leaves it", async () => {
    const { group: theirs } = await admin(w).createGroup(B, 'Bia friends', [C]);
    const code = await admin(w).groupInviteCode(B, theirs.id);
    const joined = await api('POST', groupPath(a, undefined, '/join'), 200, { invite: `https://chat.whatsapp.com/${code}` });
    expect(joined).toMatchObject({ state: 'joined', group_jid: theirs.id, group: { jid: theirs.id, role: 'member', subject: 'Bia friends' } });
    expect(joined.group.invite_code).toBeNull(); // not an admin there
    expect(roleIn(await peerView(w, B, theirs.id), A)).toBe('member');
    await waitForEvent(w, 'group.created', (d) => d.group_jid === theirs.id);

    await api('POST', groupPath(a, theirs.id, '/leave'), 200);
    expect(roleIn(await peerView(w, B, theirs.id), A)).toBeUndefined();
    const left = await waitForEvent(w, 'group.participants', (d) => d.group_jid === theirs.id && d.action === 'left');
    expect(left.data.participants).toEqual([person(A)]);
    await api('GET', groupPath(a, theirs.id), 404);
    expect((await api('GET', groupPath(a), 200)).groups.map((g: any) => g.jid)).not.toContain(theirs.id);
  });

  it('in a phone-number-addressed group, answers and events name everyone by phone number and LID too', async () => {
    const { group: pn } = await admin(w).createGroup(B, 'PN addressed', [A], { addressing_mode: 'pn' });
    const created = await waitForEvent(w, 'group.created', (d) => d.group_jid === pn.id);
    expect(created.data.group.participants).toEqual(
      expect.arrayContaining([expect.objectContaining({ jid: `${A}@s.whatsapp.net`, phone: A, lid: expect.stringMatching(/@lid$/), role: 'member' })]),
    );
    await admin(w).groupParticipants(B, pn.id, 'promote', [A]);
    const promoted = await waitForEvent(w, 'group.participants', (d) => d.group_jid === pn.id && d.action === 'promoted');
    expect(promoted.data.author).toEqual({ jid: `${B}@s.whatsapp.net`, phone: B, lid: expect.stringMatching(/@lid$/) });
    expect(promoted.data.participants).toEqual([{ jid: `${A}@s.whatsapp.net`, phone: A, lid: expect.stringMatching(/@lid$/) }]);
    const read = await api('GET', groupPath(a, pn.id), 200);
    expect(read.group).toMatchObject({ role: 'admin', owner: { jid: `${B}@s.whatsapp.net`, phone: B }, invite_code: expect.any(String) });
  });

  it('the live stream carries the same group events, to a viewer too (replayed after the first one)', async () => {
    const first = await waitForEvent(w, 'group.created', (d) => d.group_jid === group);
    const viewer = await createUser(w.t, { tenantId: a.tenantId, adminId: '', adminEmail: '', adminToken: a.token }, 'viewer');
    const base = await w.t.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const res = await fetch(`${base}/events/stream?types=group.*&after=${first.id}`, {
      headers: { authorization: `Bearer ${viewer.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    let text = '';
    const decoder = new TextDecoder();
    const stop = setTimeout(() => controller.abort(), 10_000); // bounded: the reading ends by then at the latest
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (/event: group\.join_request/.test(text)) break;
      }
    } catch {
      // aborted at the deadline: the assertions below say what was missing
    }
    clearTimeout(stop);
    controller.abort();
    const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(types).toEqual(expect.arrayContaining(['group.updated', 'group.participants', 'group.join_request']));
    expect(types.every((t) => t!.startsWith('group.'))).toBe(true);
    const subject = [...text.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!)).find((e) => e.type === 'group.updated' && e.data.changes.subject);
    expect(subject).toMatchObject({
      tenant_id: a.tenantId,
      device_id: a.deviceId,
      version: 1,
      data: { group_jid: group, changes: { subject: 'Acme support (BR)' } },
    });
  });

  it('every mutating call is in the audit log', async () => {
    const audit = await groupCall(w, a.token, 'GET', '/audit?limit=500', 200);
    const actions = audit.entries.filter((e: any) => e.action.startsWith('group.')).map((e: any) => e.action);
    for (const action of [
      'group.create',
      'group.update',
      'group.participants.add',
      'group.participants.promote',
      'group.participants.demote',
      'group.participants.remove',
      'group.invite.revoke',
      'group.join_requests.approve',
      'group.join_requests.reject',
      'group.picture.set',
      'group.picture.remove',
      'group.join',
      'group.leave',
    ])
      expect(actions, action).toContain(action);
    const create = audit.entries.find((e: any) => e.action === 'group.create' && e.after.group_jid === group);
    expect(create).toMatchObject({ target_type: 'device', target_id: a.deviceId, after: { subject: 'Acme support' } });
  });

  it('every group webhook verified with standardwebhooks', async () => {
    await until('deliveries settle', () => w.receiver.requests.length > 0);
    const groupRequests = w.receiver.requests.filter((r) => r.payload?.type?.startsWith('group.'));
    expect(groupRequests.length).toBeGreaterThan(10);
    expect(groupRequests.filter((r) => !r.verified)).toEqual([]);
  });
});
