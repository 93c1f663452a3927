import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, EmulatorAdminError, type RunningEmulator } from '../src/index.js';
import { createAccount, createAccounts, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550008001';
const BOB = '15550008002';
const CAROL = '15550008003';
const DAVE = '15550008004';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
/** the phone number behind a participant of Baileys' metadata (LID groups name them by LID, with phoneNumber) */
// Baileys surfaces an IQ error as a Boom: its text as the message and the code as `data` (extractGroupMetadata: as statusCode)
const phoneOfParticipant = (p: { id: string; phoneNumber?: string }) => (p.phoneNumber ?? p.id).split('@')[0]!.split(':')[0]!;

describe('groups: w:g2 IQs from real Baileys clients, w:gp2 notifications, the admin API', () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;
  let bob: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    await createAccounts(emu, [
      [ALICE, 'Alice'],
      [BOB, 'Bob'],
      [CAROL, 'Carol'],
      [DAVE, 'Dave'],
    ]);
    alice = new TestCompanion(emu.wsUrl);
    bob = new TestCompanion(emu.wsUrl);
    await Promise.all([alice.linkTo(emu, ALICE), bob.linkTo(emu, BOB)]);
  });

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await emu?.close();
  });

  it('an account creates a group with two others: their companions get groups.upsert and read the metadata', async () => {
    const { group, participants } = await admin.createGroup(CAROL, 'Book club', [ALICE, BOB]);
    expect(group.id).toMatch(/^120363\d{12}@g\.us$/);
    expect(participants.map((p) => [p.phone, p.code])).toEqual([
      [ALICE, 200],
      [BOB, 200],
    ]);
    expect(group).toMatchObject({ subject: 'Book club', owner: CAROL, addressing_mode: 'lid', size: 3, announce: false, locked: false });
    expect(group.invite_code).toBeTruthy(); // Carol is its admin

    for (const companion of [alice, bob]) {
      const [upserted] = await waitFor('groups.upsert', () => companion.eventsOf('groups.upsert').find((u) => u[0]?.id === group.id));
      expect(upserted.subject).toBe('Book club');
      expect(upserted.participants.map(phoneOfParticipant).sort()).toEqual([ALICE, BOB, CAROL].sort());
    }
    const meta = await alice.sock!.groupMetadata(group.id);
    expect(meta).toMatchObject({ id: group.id, subject: 'Book club', addressingMode: 'lid', size: 3 });
    const roles = Object.fromEntries(meta.participants.map((p) => [phoneOfParticipant(p), p.admin]));
    expect(roles).toEqual({ [CAROL]: 'superadmin', [ALICE]: null, [BOB]: null });
    expect(meta.participants.every((p) => p.id.endsWith('@lid') && p.phoneNumber?.endsWith('@s.whatsapp.net'))).toBe(true);
    const all = await bob.sock!.groupFetchAllParticipating();
    expect(Object.keys(all)).toContain(group.id);
    expect((await admin.groups(ALICE)).map((g) => g.id)).toContain(group.id);
    // Alice sees no invite code: she is no admin
    expect((await admin.group(ALICE, group.id)).invite_code).toBeUndefined();
  });

  it('a companion creates a group (groupCreate): a participant refusing by privacy is reported per participant, the others see it', async () => {
    await admin.setPrivacy(DAVE, 'contacts', [CAROL]);
    const created = await alice.sock!.groupCreate('Team', [jid(BOB), jid(DAVE)]);
    expect(created.subject).toBe('Team');
    expect(created.owner).toMatch(/@lid$/);
    const meta = await alice.sock!.groupMetadata(created.id);
    expect(meta.participants.map(phoneOfParticipant).sort()).toEqual([ALICE, BOB].sort());
    expect(meta.participants.find((p) => phoneOfParticipant(p) === ALICE)?.admin).toBe('superadmin');
    await waitFor("Bob's groups.upsert", () => bob.eventsOf('groups.upsert').find((u) => u[0]?.id === created.id));
    const view = await admin.group(BOB, created.id);
    expect(view.participants.map((p) => [p.phone, p.role])).toEqual([
      [ALICE, 'superadmin'],
      [BOB, 'member'],
    ]);
    // Dave is not in it
    await expect(admin.group(DAVE, created.id)).rejects.toMatchObject({ status: 403, code: 'not_a_participant' });
    // Dave's own clients read the setting in the privacy IQ
    expect(await admin.privacy(DAVE)).toEqual({ group_add: 'contacts', contacts: [CAROL] });
  });

  it('subject, description and settings changes reach the members as groups.update; locked keeps non-admins out', async () => {
    const created = await alice.sock!.groupCreate('Plans', [jid(BOB)]);
    const id = created.id;
    await waitFor('upsert', () => bob.eventsOf('groups.upsert').find((u) => u[0]?.id === id));
    const updatesOf = (field: string) =>
      bob
        .eventsOf('groups.update')
        .flat()
        .filter((u) => u.id === id && u[field] !== undefined);

    await alice.sock!.groupUpdateSubject(id, 'Summer plans');
    await waitFor('subject update', () => updatesOf('subject').find((u) => u.subject === 'Summer plans'));
    await alice.sock!.groupUpdateDescription(id, 'Where we go in July');
    await waitFor('description update', () => updatesOf('desc').find((u) => u.desc === 'Where we go in July'));
    const meta = await bob.sock!.groupMetadata(id);
    expect(meta).toMatchObject({ subject: 'Summer plans', desc: 'Where we go in July' });
    expect(meta.descId).toBeTruthy();

    await alice.sock!.groupSettingUpdate(id, 'announcement');
    await waitFor('announce update', () => updatesOf('announce').find((u) => u.announce === true));
    await alice.sock!.groupSettingUpdate(id, 'locked');
    await waitFor('restrict update', () => updatesOf('restrict').find((u) => u.restrict === true));
    await alice.sock!.groupToggleEphemeral(id, 86_400);
    await alice.sock!.groupMemberAddMode(id, 'all_member_add');
    await waitFor('member add mode update', () => updatesOf('memberAddMode').find((u) => u.memberAddMode === true));
    const after = await bob.sock!.groupMetadata(id);
    expect(after).toMatchObject({ announce: true, restrict: true, ephemeralDuration: 86_400, memberAddMode: true });

    // Bob is no admin: locked keeps him from the subject, settings are for admins anyway
    await expect(bob.sock!.groupUpdateSubject(id, 'Bob was here')).rejects.toMatchObject({ message: 'not-authorized', data: 401 });
    await expect(bob.sock!.groupSettingUpdate(id, 'unlocked')).rejects.toMatchObject({ message: 'not-authorized', data: 401 });
    const refused = await admin.request('PATCH', `/admin/accounts/${BOB}/groups/${id}`, { subject: 'nope' });
    expect(refused).toMatchObject({ status: 403, body: { code: 'not_an_admin' } });
    // the admin API changes the same state, with the same notifications
    // one change per call: Baileys' event buffer keeps only the first groups.update per group of one flush
    expect(await admin.updateGroup(ALICE, id, { locked: false })).toMatchObject({ locked: false });
    await waitFor('unlock update', () => updatesOf('restrict').find((u) => u.restrict === false));
    expect(await admin.updateGroup(ALICE, id, { announce: false })).toMatchObject({ announce: false });
    await waitFor('not announce update', () => updatesOf('announce').find((u) => u.announce === false));
    expect(await admin.updateGroup(ALICE, id, { description: null })).toMatchObject({ description: null });
    await waitFor('description removed', async () => (await bob.sock!.groupMetadata(id)).desc === undefined);
    expect((await admin.updateGroup(BOB, id, { subject: 'Bob was here' })).subject).toBe('Bob was here');
    // no such group: 404; not a participant: 403
    await expect(alice.sock!.groupMetadata('120363000000000000@g.us')).rejects.toMatchObject({ message: 'item-not-found', data: 404 });
    const { group: without } = await admin.createGroup(CAROL, 'Without Bob', [ALICE]);
    await expect(bob.sock!.groupMetadata(without.id)).rejects.toMatchObject({ message: 'forbidden', data: 403 });
  });

  it('adds (a privacy refusal per participant), promotes, demotes and removes; members see group-participants.update', async () => {
    await admin.setPrivacy(DAVE, 'nobody');
    const created = await alice.sock!.groupCreate('Crew', [jid(BOB)]);
    const id = created.id;
    await waitFor('upsert', () => bob.eventsOf('groups.upsert').find((u) => u[0]?.id === id));
    const participantsEvents = (action: string) => bob.eventsOf('group-participants.update').filter((e) => e.id === id && e.action === action);

    const added = await alice.sock!.groupParticipantsUpdate(id, [jid(CAROL), jid(DAVE), jid('15550008999'), jid(BOB)], 'add');
    expect(added.map((r) => [r.jid, r.status])).toEqual([
      [jid(CAROL), '200'],
      [jid(DAVE), '403'],
      [jid('15550008999'), '404'],
      [jid(BOB), '409'],
    ]);
    const addEvent = await waitFor('add event', () => participantsEvents('add')[0]);
    expect(addEvent.participants.map((p: any) => phoneOfParticipant(p))).toEqual([CAROL]);
    expect((await admin.groups(CAROL)).map((g) => g.id)).toContain(id);

    await alice.sock!.groupParticipantsUpdate(id, [jid(BOB)], 'promote');
    await waitFor('promote event', () => participantsEvents('promote')[0]);
    expect((await admin.group(ALICE, id)).participants.find((p) => p.phone === BOB)?.role).toBe('admin');
    // an admin may not demote the creator
    const demoteCreator = await bob.sock!.groupParticipantsUpdate(id, [jid(ALICE)], 'demote');
    expect(demoteCreator[0]?.status).toBe('406');
    await alice.sock!.groupParticipantsUpdate(id, [jid(BOB)], 'demote');
    await waitFor('demote event', () => participantsEvents('demote')[0]);
    // Bob, a member again, may not remove anyone
    await expect(bob.sock!.groupParticipantsUpdate(id, [jid(CAROL)], 'remove')).rejects.toMatchObject({ message: 'not-authorized', data: 401 });

    const removed = await admin.groupParticipants(ALICE, id, 'remove', [CAROL, DAVE]);
    expect(removed.map((r) => [r.phone, r.code, r.status])).toEqual([
      [CAROL, 200, 'ok'],
      [DAVE, 404, 'not_found'],
    ]);
    const removeEvent = await waitFor('remove event', () => participantsEvents('remove')[0]);
    expect(removeEvent.participants.map((p: any) => phoneOfParticipant(p))).toEqual([CAROL]);
    expect((await admin.groups(CAROL)).map((g) => g.id)).not.toContain(id);
    // Dave's privacy through the admin API too
    const viaApi = await admin.groupParticipants(ALICE, id, 'add', [DAVE]);
    expect(viaApi).toEqual([{ phone: DAVE, code: 403, status: 'privacy_refused' }]);
  });

  it('invite codes: get, join by code, revoke (the old code joins nobody), invite info', async () => {
    const created = await alice.sock!.groupCreate('Open house', [jid(BOB)]);
    const id = created.id;
    const code = await alice.sock!.groupInviteCode(id);
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await admin.groupInviteCode(ALICE, id)).toBe(code);
    await expect(bob.sock!.groupInviteCode(id)).rejects.toMatchObject({ message: 'not-authorized', data: 401 });

    const info = await bob.sock!.groupGetInviteInfo(code!);
    expect(info).toMatchObject({ id, subject: 'Open house' });
    // Dave refuses to be added by anyone, but may join by link
    const joined = await admin.joinGroup(DAVE, code!);
    expect(joined).toMatchObject({ state: 'joined', group_id: id });
    const addEvent = await waitFor('join event', () => bob.eventsOf('group-participants.update').find((e) => e.id === id && e.action === 'add'));
    expect(addEvent.participants.map((p: any) => phoneOfParticipant(p))).toEqual([DAVE]);

    const fresh = await alice.sock!.groupRevokeInvite(id);
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(code);
    const stale = await admin.request('POST', `/admin/accounts/${CAROL}/groups/join`, { code });
    expect(stale).toMatchObject({ status: 404, body: { code: 'invalid_invite_code' } });
    await expect(alice.sock!.groupGetInviteInfo(code!)).rejects.toMatchObject({ message: 'not-acceptable', data: 406 });
    // a companion joins with the new code (groupAcceptInvite) ... Bob is in it already: nothing changes
    expect(await bob.sock!.groupAcceptInvite(fresh!)).toBe(id);
  });

  it('join requests: approval mode on, a request reaches the admins, is rejected, then approved', async () => {
    const created = await alice.sock!.groupCreate('Members only', [jid(BOB)]);
    const id = created.id;
    await alice.sock!.groupJoinApprovalMode(id, 'on');
    expect((await bob.sock!.groupMetadata(id)).joinApprovalMode).toBe(true);
    const code = await admin.groupInviteCode(ALICE, id);

    expect(await admin.joinGroup(CAROL, code)).toEqual({ state: 'requested', group_id: id });
    const request = await waitFor('join request event', () => alice.eventsOf('group.join-request').find((e) => e.id === id && e.action === 'created'));
    expect(request.method).toBe('invite_link');
    expect(bob.eventsOf('group.join-request').filter((e) => e.id === id)).toEqual([]); // Bob is no admin
    const listed = await alice.sock!.groupRequestParticipantsList(id);
    expect(listed.map((r: any) => r.phone_number ?? r.jid)).toEqual([jid(CAROL)]);

    const rejected = await admin.answerGroupRequests(ALICE, id, 'reject', [CAROL]);
    expect(rejected).toEqual([{ phone: CAROL, code: 200, status: 'ok' }]);
    await waitFor('rejected event', () => alice.eventsOf('group.join-request').find((e) => e.id === id && e.action === 'rejected'));
    expect(await admin.groupRequests(ALICE, id)).toEqual([]);

    expect((await admin.joinGroup(CAROL, code)).state).toBe('requested');
    const lid = listed[0]!.jid as string;
    const approved = await alice.sock!.groupRequestParticipantsUpdate(id, [lid], 'approve');
    expect(approved).toEqual([{ status: '200', jid: lid }]);
    await waitFor('Carol joined', () => bob.eventsOf('group-participants.update').find((e) => e.id === id && e.action === 'add'));
    expect((await admin.group(CAROL, id)).participants.map((p) => p.phone)).toContain(CAROL);
    // nothing pending any more: 404 per participant
    const again = await admin.answerGroupRequests(ALICE, id, 'approve', [CAROL]);
    expect(again[0]).toMatchObject({ code: 404, status: 'not_found' });
  });

  it('leave: the others see the participant go; the last admin leaving hands over; an empty group is gone', async () => {
    const created = await alice.sock!.groupCreate('Short lived', [jid(BOB)]);
    const id = created.id;
    await waitFor('upsert', () => bob.eventsOf('groups.upsert').find((u) => u[0]?.id === id));
    await alice.sock!.groupLeave(id);
    const left = await waitFor('remove event', () => bob.eventsOf('group-participants.update').find((e) => e.id === id && e.action === 'remove'));
    expect(left.participants.map((p: any) => phoneOfParticipant(p))).toEqual([ALICE]);
    await waitFor('Bob promoted', () => bob.eventsOf('group-participants.update').find((e) => e.id === id && e.action === 'promote'));
    expect((await admin.group(BOB, id)).participants).toEqual([expect.objectContaining({ phone: BOB, role: 'admin' })]);
    expect((await admin.groups(ALICE)).map((g) => g.id)).not.toContain(id);
    await admin.leaveGroup(BOB, id);
    const gone = await admin.request('GET', `/admin/accounts/${BOB}/groups/${id}`);
    expect(gone).toMatchObject({ status: 404, body: { code: 'group_not_found' } });
    await expect(admin.leaveGroup(BOB, id)).rejects.toBeInstanceOf(EmulatorAdminError);
  });
});

describe('groups in the state file', () => {
  it('keeps groups (participants, roles, settings, invite code) and privacy across a restart; group messages flow after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wuts-emu-groups-'));
    const statePath = join(dir, 'state.json');
    let emu = await startTestEmulator(statePath);
    try {
      let client = new EmulatorAdminClient(emu);
      await createAccount(emu, '15550008101', 'Ines');
      await createAccount(emu, '15550008102', 'Jon');
      await client.setPrivacy('15550008102', 'contacts', ['15550008101']);
      const { group } = await client.createGroup('15550008101', 'Kept', ['15550008102'], { addressing_mode: 'pn' });
      await client.groupParticipants('15550008101', group.id, 'promote', ['15550008102']);
      await client.updateGroup('15550008101', group.id, { description: 'survives restarts' });
      await client.updateGroup('15550008101', group.id, { ephemeral: 604_800 });
      const before = await client.group('15550008101', group.id);
      const port = Number(new URL(emu.url).port);
      await emu.close();
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as { groups: Record<string, { subject: string }> };
      expect(Object.values(saved.groups).map((g) => g.subject)).toEqual(['Kept']);

      emu = await startTestEmulator(statePath, port);
      client = new EmulatorAdminClient(emu);
      expect(await client.group('15550008101', group.id)).toEqual(before);
      expect(await client.privacy('15550008102')).toEqual({ group_add: 'contacts', contacts: ['15550008101'] });
      const sent = await client.sendGroup('15550008102', group.id, { text: 'still here' });
      const got = await waitFor('the message after the restart', async () =>
        (await client.groupMessages('15550008101', group.id)).received.find((m) => m.id === sent.id),
      );
      expect(got).toMatchObject({ from: '15550008102', group: group.id, text: 'still here' });
    } finally {
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
