import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, EmulatorAdminError, type TestEmulator } from '../src/index.js';
import { startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550007001';
const BOB = '15550007002';

describe('the admin client', () => {
  let emu: TestEmulator;
  let admin: EmulatorAdminClient;
  const companions: TestCompanion[] = [];
  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = emu.admin;
  });
  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
  });

  it('creates, lists and reads accounts; errors carry their status and code', async () => {
    const alice = await admin.createAccount(ALICE, 'Alice');
    expect(alice).toMatchObject({ phone: ALICE, name: 'Alice', jid: `${ALICE}@s.whatsapp.net`, phone_online: true, linked_devices: 0 });
    expect(alice.lid).toMatch(/^\d+@lid$/);
    await admin.createAccount(BOB);
    expect((await admin.accounts()).map((a) => a.phone).sort()).toEqual([ALICE, BOB]);
    expect((await admin.account(BOB)).name).toBe(BOB);

    const duplicate = await admin.createAccount(ALICE).catch((err: unknown) => err);
    expect(duplicate).toBeInstanceOf(EmulatorAdminError);
    expect(duplicate).toMatchObject({ status: 409, code: 'account_exists' });
    await expect(admin.account('15550007999')).rejects.toMatchObject({ status: 404, code: 'account_not_found' });
    // request never throws on a status; a trailing slash in the base URL is fine
    const raw = await new EmulatorAdminClient(`${emu.url}/`).request<{ code: string }>('GET', '/admin/accounts/15550007999');
    expect(raw).toEqual({ status: 404, body: expect.objectContaining({ success: false, code: 'account_not_found' }) });
  });

  it('links by QR and by pairing code, lists and unlinks devices', async () => {
    const byQr = new TestCompanion(emu.wsUrl);
    companions.push(byQr);
    await byQr.linkTo(emu, ALICE); // admin.link underneath
    const byCode = new TestCompanion(emu.wsUrl);
    companions.push(byCode);
    const code = await byCode.requestCode(ALICE);
    await expect(admin.pair(ALICE, code === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA')).rejects.toMatchObject({ status: 400, code: 'wrong_code' });
    const paired = await admin.pair(ALICE, code);
    expect(paired).toMatchObject({ kind: 'companion', jid: `${ALICE}:${paired.id}@s.whatsapp.net` });
    await waitFor('the paired device logs in', () => byCode.isOpen);

    const devices = await admin.devices(ALICE);
    expect(devices.map((d) => d.kind)).toEqual(['phone', 'companion', 'companion']);
    await expect(admin.unlink(ALICE, 0)).rejects.toMatchObject({ status: 400, code: 'cannot_unlink_phone' });
    await admin.unlink(ALICE, paired.id);
    await waitFor('the unlinked device is logged out', () => byCode.closeCodes.includes(401));
    expect((await admin.account(ALICE)).linked_devices).toBe(1);
  });

  it('sends, reads, reacts, edits, deletes and votes from the accounts’ phones', async () => {
    const hello = await admin.send(BOB, { to: ALICE, text: 'hello Alice' });
    expect(hello).toMatchObject({ to: ALICE, type: 'text', text: 'hello Alice' });
    expect(hello.status).not.toBe('failed');
    await waitFor('Alice’s phone receives it', async () => (await admin.messages(ALICE, 500)).received.find((m) => m.id === hello.id));
    expect(await admin.markRead(ALICE)).toContain(hello.id);
    await waitFor('Bob sees it read', async () => (await admin.messages(BOB)).sent.find((m) => m.id === hello.id && m.status === 'read'));

    const reaction = await admin.react(ALICE, hello.id, '👍');
    expect(reaction).toMatchObject({ direction: 'received', message: { id: hello.id, reactions: [expect.objectContaining({ from: ALICE, emoji: '👍' })] } });
    expect(reaction.action_id).toBeTruthy();
    const edited = await admin.edit(BOB, hello.id, 'hello again');
    expect(edited).toMatchObject({ direction: 'sent', message: { text: 'hello again', edited: true } });
    const deleted = await admin.deleteMessage(BOB, hello.id);
    expect(deleted.message).toMatchObject({ deleted: true, text: null });
    await expect(admin.edit(ALICE, 'NO-SUCH-ID', 'x')).rejects.toMatchObject({ status: 404, code: 'message_not_found' });

    const poll = await admin.send(BOB, { to: ALICE, type: 'poll', poll: { name: 'Lunch?', options: ['Yes', 'No'] } });
    await waitFor('Alice receives the poll', async () => (await admin.messages(ALICE, 500)).received.find((m) => m.id === poll.id));
    const vote = await admin.vote(ALICE, poll.id, ['Yes']);
    expect(vote.message.votes).toEqual([expect.objectContaining({ from: ALICE, options: ['Yes'] })]);
    await waitFor('Bob sees the vote', async () => (await admin.messages(BOB)).sent.find((m) => m.id === poll.id && m.votes?.some((v) => v.from === ALICE)));
  });

  it('reads the traffic log and the info', async () => {
    const traffic = await admin.traffic(5);
    expect(traffic.length).toBeGreaterThan(0);
    expect(traffic.length).toBeLessThanOrEqual(5);
    expect(traffic[0]).toMatchObject({ direction: expect.stringMatching(/^(in|out)$/), tag: expect.any(String) });
    const info = await admin.info();
    expect(info.ws_url).toBe(emu.wsUrl);
    expect(info.cert_root_public_key).toMatch(/^[0-9a-f]{64}$/);
  });
});
