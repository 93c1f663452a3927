import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadMediaMessage, getContentType, normalizeMessageContent, type WAMessage } from '@whiskeysockets/baileys';
import { EmulatorAdminClient, mediaTrust, type MediaRecord, type MediaTrust, type SendMessageBody, type TestEmulator } from '../src/index.js';
import { createAccount, startTestEmulator, TestCompanion, waitFor, waitForMessages, type ApiMessage } from './helpers.js';

const ANNA = '15550009001';
const BEN = '15550009002';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

type MediaMessage = ApiMessage & { media?: MediaRecord };

/** Waits for `phone`'s received record of `id` to be downloaded (or failed), and answers it. */
async function receivedMedia(emu: TestEmulator, phone: string, id: string): Promise<MediaMessage> {
  return waitForMessages(emu, phone, `the media of ${id} at ${phone}`, (b) => {
    const m = (b.received as MediaMessage[]).find((r) => r.id === id);
    return m?.media && m.media.state !== 'downloading' ? m : undefined;
  });
}

/** The w:m answer a Baileys client gets before uploading: the upload token and the host. */
async function mediaConn(companion: TestCompanion): Promise<{ auth: string; ttl: string; hostname: string }> {
  const answer = await companion.sock!.query({
    tag: 'iq',
    attrs: { type: 'set', xmlns: 'w:m', to: 's.whatsapp.net' },
    content: [{ tag: 'media_conn', attrs: {} }],
  });
  const conn = (answer.content as Array<{ tag: string; attrs: Record<string, string>; content?: unknown }>).find((n) => n.tag === 'media_conn')!;
  const host = (conn.content as Array<{ attrs: Record<string, string> }>)[0]!;
  return { auth: conn.attrs.auth!, ttl: conn.attrs.ttl!, hostname: host.attrs.hostname! };
}

describe('media: the media host, w:m, and accounts sending and receiving media', () => {
  let emu: TestEmulator;
  let trust: MediaTrust;
  let benCompanion: TestCompanion;

  beforeAll(async () => {
    emu = await startTestEmulator();
    trust = mediaTrust(emu.mediaCaPem);
    await createAccount(emu, ANNA, 'Anna');
    await createAccount(emu, BEN, 'Ben');
    benCompanion = new TestCompanion(emu.wsUrl, undefined, { fetchAgent: trust.fetchAgent });
    await benCompanion.linkTo(emu, BEN);
  });

  afterAll(async () => {
    await benCompanion?.stop();
    await emu?.close();
    await trust?.close();
  });

  it('answers the w:m media_conn IQ with an upload token and the one media host, and serves its CA', async () => {
    const conn = await mediaConn(benCompanion);
    expect(conn.auth.length).toBeGreaterThanOrEqual(20);
    expect(Number(conn.ttl)).toBeGreaterThan(0);
    expect(`https://${conn.hostname}`).toBe(emu.mediaUrl);
    expect(emu.mediaUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await emu.admin.mediaCaPem()).toBe(emu.mediaCaPem);
    expect(emu.mediaCaPem).toContain('BEGIN CERTIFICATE');
    expect((await emu.admin.info()).media_url).toBe(emu.mediaUrl);
    // without the CA, TLS refuses the self-signed certificate
    await expect(fetch(`${emu.mediaUrl}/v/t62.7118-24/emu/${'0'.repeat(64)}.enc`)).rejects.toThrow();
  });

  const cases: Array<{ name: string; body: Omit<SendMessageBody, 'to' | 'media'>; size: number; check: (m: MediaRecord, r: MediaMessage) => void }> = [
    {
      name: 'image with caption and thumbnail',
      body: { type: 'image', caption: 'a picture', mime_type: 'image/jpeg', thumbnail: randomBytes(300).toString('base64') },
      size: 4_000,
      check: (m, r) => {
        expect(r.type).toBe('image');
        expect(r.text).toBe('a picture');
        expect(m).toMatchObject({ mime_type: 'image/jpeg', caption: 'a picture', view_once: false });
      },
    },
    {
      name: 'video',
      body: { type: 'video', caption: 'a clip', seconds: 3, thumbnail: randomBytes(200).toString('base64') },
      size: 6_000,
      check: (m, r) => {
        expect(r.type).toBe('video');
        expect(m).toMatchObject({ mime_type: 'video/mp4', caption: 'a clip', seconds: 3 });
      },
    },
    {
      name: 'audio',
      body: { type: 'audio', mime_type: 'audio/mpeg', seconds: 7 },
      size: 3_000,
      check: (m, r) => {
        expect(r.type).toBe('audio');
        expect(m).toMatchObject({ mime_type: 'audio/mpeg', ptt: false, seconds: 7 });
      },
    },
    {
      name: 'voice note (ptt, seconds, waveform)',
      body: { type: 'voice', seconds: 4, waveform: Buffer.from(Array.from({ length: 64 }, (_, i) => i)).toString('base64') },
      size: 2_500,
      check: (m, r) => {
        expect(r.type).toBe('voice');
        expect(m).toMatchObject({ mime_type: 'audio/ogg; codecs=opus', ptt: true, seconds: 4 });
      },
    },
    {
      name: 'document with filename and caption',
      body: { type: 'document', mime_type: 'application/pdf', filename: 'report.pdf', caption: 'the report' },
      size: 5_000,
      check: (m, r) => {
        expect(r.type).toBe('document');
        expect(r.text).toBe('the report');
        expect(m).toMatchObject({ mime_type: 'application/pdf', filename: 'report.pdf', caption: 'the report' });
      },
    },
    {
      name: 'sticker',
      body: { type: 'sticker' },
      size: 1_500,
      check: (m, r) => {
        expect(r.type).toBe('sticker');
        expect(m.mime_type).toBe('image/webp');
      },
    },
    {
      name: 'view-once image',
      body: { type: 'image', view_once: true, thumbnail: randomBytes(100).toString('base64') },
      size: 2_000,
      check: (m, r) => {
        expect(r.type).toBe('image');
        expect(m.view_once).toBe(true);
      },
    },
  ];

  const sentIds = new Map<string, { id: string; bytes: Buffer }>();

  for (const c of cases) {
    it(`an account sends a ${c.name}; the other account downloads and decrypts the same bytes`, async () => {
      const bytes = randomBytes(c.size);
      const sent = (await emu.admin.send(ANNA, { to: BEN, ...c.body, media: { data: bytes.toString('base64') } })) as MediaMessage;
      expect(sent.status).toBe('sent');
      expect(sent.media).toMatchObject({ state: 'uploaded', sha256: sha256(bytes), file_sha256: sha256(bytes), size: c.size });
      expect(sent.media!.direct_path).toMatch(/^\/v\/t62\.7118-24\/emu\/[0-9a-f]{64}\.enc/);
      sentIds.set(c.name, { id: sent.id, bytes });

      const got = await receivedMedia(emu, BEN, sent.id);
      expect(got.media).toMatchObject({ state: 'downloaded', sha256: sha256(bytes), file_sha256: sha256(bytes), size: c.size });
      c.check(got.media!, got);
      const file = await emu.admin.media(BEN, sent.id);
      expect(sha256(file.bytes)).toBe(sha256(bytes));
      expect(file.contentType).toBe(got.media!.mime_type);
      // the sender's copy too
      expect(sha256((await emu.admin.media(ANNA, sent.id)).bytes)).toBe(sha256(bytes));
    });
  }

  it('an outside Baileys companion of the recipient downloads and decrypts each media itself, trusting only mediaCaPem', async () => {
    for (const [name, { id, bytes }] of sentIds) {
      const msg = await waitFor(`the companion gets the ${name}`, () => benCompanion.received.find((m) => m.key.id === id));
      const inner = normalizeMessageContent(msg.message);
      expect(inner && getContentType(inner)).toMatch(/^(image|video|audio|document|sticker)Message$/);
      const downloaded = await downloadMediaMessage(msg, 'buffer', { options: { dispatcher: trust.dispatcher } });
      expect(sha256(downloaded), name).toBe(sha256(bytes));
    }
    const view = sentIds.get('view-once image')!;
    const viewOnce = benCompanion.received.find((m) => m.key.id === view.id)!;
    expect(viewOnce.message?.viewOnceMessage?.message?.imageMessage ?? viewOnce.message?.imageMessage?.viewOnce).toBeTruthy();
    const voice = benCompanion.received.find((m) => m.key.id === sentIds.get('voice note (ptt, seconds, waveform)')!.id)!;
    expect(voice.message?.audioMessage).toMatchObject({ ptt: true, seconds: 4 });
    expect(voice.message?.audioMessage?.waveform?.length).toBe(64);
  });

  it('a companion uploads media itself (fetchAgent) and the account downloads it; a 5 MB document streams through', async () => {
    const photo = randomBytes(3_000);
    const sent = await benCompanion.sock!.sendMessage(jid(ANNA), { image: photo, caption: 'from a companion', jpegThumbnail: '' });
    const got = await receivedMedia(emu, ANNA, sent!.key.id!);
    expect(got.media).toMatchObject({ state: 'downloaded', sha256: sha256(photo) });

    const big = randomBytes(5 * 1024 * 1024);
    const doc = (await emu.admin.send(ANNA, { to: BEN, type: 'document', filename: 'big.bin', media: { data: big.toString('base64') } })) as MediaMessage;
    expect(doc.media).toMatchObject({ state: 'uploaded', sha256: sha256(big), size: big.length });
    const received = await receivedMedia(emu, BEN, doc.id);
    expect(received.media).toMatchObject({ state: 'downloaded', sha256: sha256(big), size: big.length, filename: 'big.bin' });
    const file = await emu.admin.media(BEN, doc.id);
    expect(file.bytes.length).toBe(big.length);
    expect(sha256(file.bytes)).toBe(sha256(big));
  });

  it('the host refuses an upload with a wrong auth or token, and answers 404 for unknown and expired blobs', async () => {
    const { auth } = await mediaConn(benCompanion);
    const body = randomBytes(1_000);
    const token = createHash('sha256').update(body).digest('base64url');
    const upload = (query: string, path = token) =>
      fetch(`${emu.mediaUrl}/mms/document/${path}?${query}`, { method: 'POST', body, dispatcher: trust.dispatcher } as RequestInit);

    expect((await upload(`auth=wrong&token=${token}`)).status).toBe(401);
    const otherToken = createHash('sha256').update('something else').digest('base64url');
    expect((await upload(`auth=${encodeURIComponent(auth)}&token=${otherToken}`, otherToken)).status).toBe(400);
    const ok = await upload(`auth=${encodeURIComponent(auth)}&token=${token}`);
    expect(ok.status).toBe(200);
    const { url, direct_path } = (await ok.json()) as { url: string; direct_path: string };
    expect(url).toBe(`${emu.mediaUrl}${direct_path}`);
    const download = await fetch(url, { dispatcher: trust.dispatcher } as RequestInit);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe('1000');
    expect(Buffer.from(await download.arrayBuffer()).equals(body)).toBe(true);
    expect((await fetch(`${emu.mediaUrl}/v/t62.7118-24/emu/${'a'.repeat(64)}.enc`, { dispatcher: trust.dispatcher } as RequestInit)).status).toBe(404);

    expect(await emu.admin.expireMedia({ direct_path })).toBe(direct_path);
    expect((await fetch(url, { dispatcher: trust.dispatcher } as RequestInit)).status).toBe(404);
    const again = await emu.admin.request('POST', '/admin/media/expire', { direct_path });
    expect(again).toMatchObject({ status: 404, body: { code: 'media_not_found' } });
  });

  it('media expired by message: the companion can no longer download it, the account keeps its decrypted copy, a re-upload request brings it back', async () => {
    const bytes = randomBytes(2_000);
    const sent = (await emu.admin.send(ANNA, {
      to: BEN,
      type: 'document',
      filename: 'soon-gone.txt',
      media: { data: bytes.toString('base64') },
    })) as MediaMessage;
    await receivedMedia(emu, BEN, sent.id);
    const msg = await waitFor('the companion gets it', () => benCompanion.received.find((m) => m.key.id === sent.id));
    expect(await emu.admin.expireMedia({ phone: BEN, message_id: sent.id })).toBe(sent.media!.direct_path);
    const failed = await downloadMediaMessage(msg as WAMessage, 'buffer', { options: { dispatcher: trust.dispatcher } }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as { output?: { statusCode?: number } }).output?.statusCode).toBe(404);
    expect(sha256((await emu.admin.media(BEN, sent.id)).bytes)).toBe(sha256(bytes));

    // Baileys' re-upload request: the sending account's phone uploads the blob again
    const updated = await benCompanion.sock!.updateMediaMessage(msg);
    expect(updated.message?.documentMessage?.directPath).toBe(sent.media!.direct_path);
    const again = await downloadMediaMessage(updated, 'buffer', { options: { dispatcher: trust.dispatcher } });
    expect(sha256(again)).toBe(sha256(bytes));
    await waitFor('the mediaretry notification is acked', async () => (await emu.admin.queue(BEN, 1)).every((q) => q.tag !== 'notification'));

    // a re-upload request for a message no emulator account sent: "not found", as Baileys reports it
    const unknown = { ...msg, key: { ...msg.key, id: 'NO-SUCH-MEDIA-ID' } };
    const refused = await benCompanion.sock!.updateMediaMessage(unknown).catch((err: unknown) => err);
    expect((refused as { output?: { statusCode?: number } }).output?.statusCode).toBe(404);
  });

  it('refuses media fields a type does not take, and bad base64', async () => {
    const bad = await emu.admin.request('POST', `/admin/accounts/${ANNA}/messages`, { to: BEN, type: 'sticker', caption: 'no', media: { data: 'AAAA' } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'invalid_message' } });
    const noMedia = await emu.admin.request('POST', `/admin/accounts/${ANNA}/messages`, { to: BEN, type: 'image' });
    expect(noMedia).toMatchObject({ status: 400, body: { code: 'invalid_message' } });
    const notBase64 = await emu.admin.request('POST', `/admin/accounts/${ANNA}/messages`, { to: BEN, type: 'image', media: { data: 'not base64!' } });
    expect(notBase64).toMatchObject({ status: 400, body: { code: 'invalid_message' } });
    const textWithMedia = await emu.admin.request('POST', `/admin/accounts/${ANNA}/messages`, { to: BEN, text: 'hi', media: { data: 'AAAA' } });
    expect(textWithMedia).toMatchObject({ status: 400, body: { code: 'invalid_message' } });
    const textMedia = await emu.admin.request('GET', `/admin/accounts/${ANNA}/messages/NOPE/media`);
    expect(textMedia).toMatchObject({ status: 404, body: { code: 'message_not_found' } });
  });
});

describe('media with a state file', () => {
  it('keeps blobs, the certificate and the media port across a restart', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'emu-media-'));
    const statePath = join(dir, 'emu.json');
    let emu = await startTestEmulator(statePath);
    const bytes = randomBytes(4_096);
    let id: string;
    let directPath: string;
    try {
      await createAccount(emu, ANNA, 'Anna');
      await createAccount(emu, BEN, 'Ben');
      const sent = (await emu.admin.send(ANNA, { to: BEN, type: 'document', filename: 'kept.bin', media: { data: bytes.toString('base64') } })) as MediaMessage;
      id = sent.id;
      directPath = sent.media!.direct_path!;
      expect((await receivedMedia(emu, BEN, id)).media?.state).toBe('downloaded');
    } finally {
      await emu.close();
    }
    const { mediaUrl, mediaCaPem } = emu;
    emu = await startTestEmulator(statePath);
    const trust = mediaTrust(emu.mediaCaPem);
    try {
      expect(emu.mediaUrl).toBe(mediaUrl);
      expect(emu.mediaCaPem).toBe(mediaCaPem);
      const admin = new EmulatorAdminClient(emu);
      expect(sha256((await admin.media(BEN, id)).bytes)).toBe(sha256(bytes));
      expect(sha256((await admin.media(ANNA, id)).bytes)).toBe(sha256(bytes));
      const blob = await fetch(`${emu.mediaUrl}${directPath}`, { dispatcher: trust.dispatcher } as RequestInit);
      expect(blob.status).toBe(200);
      expect(Number(blob.headers.get('content-length'))).toBeGreaterThan(bytes.length);
    } finally {
      await emu.close();
      await trust.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
