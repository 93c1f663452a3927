import sharp from 'sharp';
import { WAMessageStubType } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient, mediaTrust, type MediaTrust, type RunningEmulator } from '../src/index.js';
import { createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550009101';
const BOB = '15550009102';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

/** Group pictures through Baileys' own calls: updateProfilePicture, removeProfilePicture, profilePictureUrl with a group jid. */
describe('group pictures: w:profile:picture with a group target, picture notifications, the media host', () => {
  let emu: RunningEmulator;
  let admin: EmulatorAdminClient;
  let alice: TestCompanion;
  let bob: TestCompanion;
  let trust: MediaTrust;
  let groupJid: string;

  beforeAll(async () => {
    emu = await startTestEmulator();
    admin = new EmulatorAdminClient(emu);
    trust = mediaTrust(emu.mediaCaPem);
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    alice = new TestCompanion(emu.wsUrl);
    bob = new TestCompanion(emu.wsUrl);
    await Promise.all([alice.linkTo(emu, ALICE), bob.linkTo(emu, BOB)]);
    groupJid = (await alice.sock!.groupCreate('Pictures', [jid(BOB)])).id;
  });

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await trust?.close();
    await emu?.close();
  });

  const iconStubs = (c: TestCompanion) => c.received.filter((m) => m.key.remoteJid === groupJid && m.messageStubType === WAMessageStubType.GROUP_CHANGE_ICON);

  it('a participant sets the picture: members are told, anyone reads its URL, the media host serves the JPEG', async () => {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#36c' } })
      .png()
      .toBuffer();
    await alice.sock!.updateProfilePicture(groupJid, image);

    const view = await admin.group(BOB, groupJid);
    expect(view.picture).toMatchObject({ set_by: ALICE, id: expect.stringMatching(/^\d+$/) });
    const stub = await waitFor("Bob's GROUP_CHANGE_ICON", () => iconStubs(bob)[0]);
    expect(stub.messageStubParameters).toEqual([view.picture!.id]);

    const url = await bob.sock!.profilePictureUrl(groupJid, 'image');
    expect(url).toBe(`${emu.mediaUrl}/pps/g/${groupJid.split('@')[0]}/${view.picture!.id}.jpg`);
    const res = await fetch(url!, { dispatcher: trust.dispatcher } as RequestInit);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(jpeg.length).toBe(view.picture!.bytes);
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 640]); // Baileys made it square
  });

  it('in a locked group only admins change it (401); a removed picture is 404 and no longer served', async () => {
    await alice.sock!.groupSettingUpdate(groupJid, 'locked');
    const refused = await bob
      .sock!.updateProfilePicture(
        groupJid,
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
          .jpeg()
          .toBuffer(),
      )
      .catch((e: unknown) => e);
    expect((refused as { data?: unknown }).data).toBe(401);
    const before = (await admin.group(ALICE, groupJid)).picture!;

    const stubsBefore = iconStubs(bob).length;
    await alice.sock!.removeProfilePicture(groupJid);
    expect((await admin.group(ALICE, groupJid)).picture).toBeNull();
    const removed = await waitFor('the removal stub', () => iconStubs(bob).slice(stubsBefore)[0]);
    expect(removed.messageStubParameters ?? []).toEqual([]);
    const missing = await bob.sock!.profilePictureUrl(groupJid, 'image').catch((e: unknown) => e);
    expect((missing as { data?: unknown }).data).toBe(404);
    const gone = await fetch(`${emu.mediaUrl}/pps/g/${groupJid.split('@')[0]}/${before.id}.jpg`, { dispatcher: trust.dispatcher } as RequestInit);
    expect(gone.status).toBe(404);
  });

  it('someone outside the group may not set it (403), and an unknown group is 404', async () => {
    await createAccount(emu, '15550009103', 'Carol');
    const carol = new TestCompanion(emu.wsUrl);
    await carol.linkTo(emu, '15550009103');
    try {
      const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer();
      expect(((await carol.sock!.updateProfilePicture(groupJid, image).catch((e: unknown) => e)) as { data?: unknown }).data).toBe(403);
      expect(((await carol.sock!.updateProfilePicture('120363999999999999@g.us', image).catch((e: unknown) => e)) as { data?: unknown }).data).toBe(404);
    } finally {
      await carol.stop();
    }
  });
});
