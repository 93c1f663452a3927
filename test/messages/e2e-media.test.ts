import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, createUser } from '../helpers/factories.js';
import { until } from '../helpers/wait.js';
import {
  accountMessages,
  chatHistory,
  createAccount,
  disconnectDevice,
  emulatorApi,
  eventsOf,
  messageOf,
  phoneSend,
  reconnectDevice,
  sendMessage,
  startWorld,
  tenantWithDevice,
  waitForAtLeast,
  waitForEvent,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';

/**
 * Media end to end through the real Baileys provider and the emulator's HTTPS media host:
 * what WUTS sends (by URL, inline base64 and upload) reaches the peer with the same bytes;
 * what the peer (or the device's own phone) sends is downloaded into WUTS's media store,
 * announced by a signed webhook, and served by GET /messages/{id}/media (ranges too).
 */
const A = '15553660001'; // the WUTS device's number
const B = '15553660002'; // the peer

const fixture = (name: string) => fs.readFileSync(`test/fixtures/${name}`);
const JPEG = fixture('photo.jpg');
const PNG = fixture('photo.png');
const WEBP = fixture('sticker.webp');
const VOICE = fixture('voice-note.ogg');
/** An MP4 as far as its type goes (an ftyp box), with 20 KB of payload. */
const MP4 = Buffer.concat([
  Buffer.from([0, 0, 0, 24]),
  Buffer.from('ftypisom'),
  Buffer.from([0, 0, 2, 0]),
  Buffer.from('isommp41'),
  Buffer.from([0, 0, 0x4e, 0x28]),
  Buffer.from('mdat'),
  randomBytes(20_000),
]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), randomBytes(40_000), Buffer.from('\n%%EOF\n')]);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let w: MessagingWorld;
let a: TenantWithDevice;
/** A web server on 127.0.0.1 serving files for media.url, and a redirect. */
let files: http.Server;
let filesUrl = '';
/** More files the server answers, by path. */
const served = new Map<string, { bytes: Buffer; contentType: string }>();

beforeAll(async () => {
  w = await startWorld();
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  a = await tenantWithDevice(w, A);
  files = http.createServer((req, res) => {
    const file = served.get(req.url ?? '');
    if (file) return res.writeHead(200, { 'content-type': file.contentType }).end(file.bytes);
    if (req.url === '/invoice.pdf') return res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': PDF.length }).end(PDF);
    if (req.url === '/photo') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
    if (req.url === '/moved') return res.writeHead(302, { location: '/photo' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await new Promise((r) => files?.close(r));
  await w?.close();
}, 60_000);

/** What B's phone received for a WhatsApp id, once its download finished. */
async function receivedByB(waId: string): Promise<any> {
  return until(
    `B downloaded ${waId}`,
    async () => (await accountMessages(w, B)).received.find((m) => m.id === waId && m.media?.state === 'downloaded'),
    20_000,
  );
}

async function upload(bytes: Buffer, contentType: string): Promise<any> {
  const res = await w.t.call('POST', '/media', a.token, bytes, { 'content-type': contentType });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().media;
}

async function mediaBytes(
  messageId: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const res = await w.t.app.inject({ method: 'GET', url: `/messages/${messageId}/media`, headers: { authorization: `Bearer ${a.token}`, ...headers } });
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload };
}

describe('sending media', () => {
  it('an image inline (base64) with a caption: B gets the same bytes; the message shows its stored file', async () => {
    const msg = await sendMessage(w, a.token, a.deviceId, { type: 'image', to: B, media: { data: JPEG.toString('base64') }, caption: 'the product' });
    expect(msg.content.media).toMatchObject({ state: 'stored', mime_type: 'image/jpeg', size: JPEG.length, sha256: sha256(JPEG), caption: 'the product' });
    const sent = await waitForAtLeast(w, a.token, msg.id, 'sent');
    expect(sent.type).toBe('image');
    const got = await receivedByB(msg.wa_id);
    expect(got).toMatchObject({ type: 'image', text: 'the product', media: { sha256: sha256(JPEG), mime_type: 'image/jpeg', view_once: false } });
    // the thumbnail and dimensions WhatsApp shows before the download (Baileys makes them with sharp)
    expect(got.media.thumbnail_bytes).toBeGreaterThan(0);
    expect(got.media).toMatchObject({ width: 64, height: 48 });
    // WUTS serves what it sent, too
    const own = await mediaBytes(msg.id);
    expect(own.status).toBe(200);
    expect(sha256(own.body)).toBe(sha256(JPEG));
  });

  it('a data URL names its type; a view-once PNG arrives view-once', async () => {
    const msg = await sendMessage(w, a.token, a.deviceId, {
      type: 'image',
      to: B,
      media: { data: `data:image/png;base64,${PNG.toString('base64')}` },
      view_once: true,
    });
    expect(msg.content.media).toMatchObject({ mime_type: 'image/png', view_once: true });
    const got = await receivedByB(msg.wa_id);
    expect(got.media).toMatchObject({ sha256: sha256(PNG), view_once: true });
  });

  it('a document by URL keeps its file name and caption; B gets the same bytes', async () => {
    const msg = await sendMessage(w, a.token, a.deviceId, {
      type: 'document',
      to: B,
      media: { url: `${filesUrl}/invoice.pdf` },
      filename: 'Nota fiscal 123.pdf',
      caption: 'sua nota',
    });
    expect(msg.content.media).toMatchObject({ mime_type: 'application/pdf', filename: 'Nota fiscal 123.pdf', size: PDF.length, sha256: sha256(PDF) });
    const got = await receivedByB(msg.wa_id);
    expect(got).toMatchObject({ type: 'document', media: { filename: 'Nota fiscal 123.pdf', caption: 'sua nota', sha256: sha256(PDF) } });
  });

  it('a video, an audio and a sticker uploaded first (POST /media), sent by id', async () => {
    for (const [type, bytes, contentType] of [
      ['video', MP4, 'video/mp4'],
      ['audio', VOICE, 'audio/ogg'],
      ['sticker', WEBP, 'image/webp'],
    ] as const) {
      const uploaded = await upload(bytes, contentType);
      expect(uploaded).toMatchObject({ mime_type: contentType, size: bytes.length, sha256: sha256(bytes) });
      const msg = await sendMessage(w, a.token, a.deviceId, { type, to: B, media: { id: uploaded.id } });
      const got = await receivedByB(msg.wa_id);
      expect(got.type, type).toBe(type);
      expect(got.media.sha256, type).toBe(sha256(bytes));
    }
  });

  it('a voice note goes as push-to-talk with its duration; WUTS shows the waveform it sent', async () => {
    const msg = await sendMessage(w, a.token, a.deviceId, { type: 'voice', to: B, media: { data: VOICE.toString('base64') } });
    expect(msg.type).toBe('audio');
    expect(msg.content.media).toMatchObject({ voice_note: true, duration_seconds: 3, mime_type: 'audio/ogg; codecs=opus' });
    expect(Buffer.from(msg.content.media.waveform, 'base64')).toHaveLength(64);
    const got = await receivedByB(msg.wa_id);
    expect(got).toMatchObject({ type: 'voice', media: { ptt: true, seconds: 3, sha256: sha256(VOICE), waveform: msg.content.media.waveform } });
  });

  it('every type by every way (inline, URL, upload) reaches B with the same bytes', async () => {
    const kinds = [
      ['image', JPEG, 'image/jpeg', 'photo'],
      ['video', MP4, 'video/mp4', 'clip'],
      ['audio', VOICE, 'audio/ogg', 'song'],
      ['voice', VOICE, 'audio/ogg', 'note'],
      ['document', PDF, 'application/pdf', 'invoice.pdf'],
      ['sticker', WEBP, 'image/webp', 'sticker'],
    ] as const;
    const sent: Array<{ what: string; waId: string; sha: string }> = [];
    for (const [type, bytes, contentType, path] of kinds) {
      served.set(`/matrix/${path}`, { bytes, contentType });
      const uploaded = await upload(bytes, contentType);
      for (const [way, media] of [
        ['inline', { data: bytes.toString('base64') }],
        ['url', { url: `${filesUrl}/matrix/${path}` }],
        ['upload', { id: uploaded.id }],
      ] as const) {
        const msg = await sendMessage(w, a.token, a.deviceId, { type, to: B, media });
        sent.push({ what: `${type} by ${way}`, waId: msg.wa_id, sha: sha256(bytes) });
      }
    }
    for (const s of sent) expect((await receivedByB(s.waId)).media.sha256, s.what).toBe(s.sha);
  });

  it('a reply with media quotes the message it answers', async () => {
    const question = await phoneSend(w, B, { to: A, text: 'can you send the photo?' });
    const stored = await waitForStored(w, a.token, a.deviceId, B, 'the question', (m) => m.wa_id === question.id);
    const msg = await sendMessage(w, a.token, a.deviceId, { type: 'image', to: B, media: { data: JPEG.toString('base64') }, reply_to: stored.id });
    const got = await receivedByB(msg.wa_id);
    expect(got.quoted_id).toBe(question.id);
  });

  it('media queued together leaves in queue order (each made ready ahead, during the pause); one cancelled while it waits is never sent', async () => {
    const pace = (ms: number | null) => w.t.call('PUT', `/devices/${a.deviceId}/send-interval`, a.token, { send_interval_ms: ms });
    expect((await pace(1500)).statusCode).toBe(200);
    try {
      const docs = [1, 2, 3, 4].map((i) => Buffer.concat([PDF, Buffer.from(`copy ${i}`)]));
      const sent: any[] = [];
      for (const [i, bytes] of docs.entries()) {
        sent.push(await sendMessage(w, a.token, a.deviceId, { type: 'document', to: B, media: { data: bytes.toString('base64') }, filename: `copy-${i}.pdf` }));
      }
      await until('the first one sent', async () => (await messageOf(w, a.token, sent[0].id)).status !== 'queued');
      const cancel = await w.t.call('POST', `/messages/${sent[1].id}/cancel`, a.token, {});
      expect(cancel.statusCode, cancel.body).toBe(200);
      for (const i of [0, 2, 3]) expect((await receivedByB(sent[i].wa_id)).media.sha256).toBe(sha256(docs[i]!));
      const received = (await accountMessages(w, B)).received.map((m) => m.id);
      const wanted = [sent[0].wa_id, sent[2].wa_id, sent[3].wa_id];
      expect(received.filter((id) => wanted.includes(id))).toEqual(wanted);
      expect(received).not.toContain(sent[1].wa_id);
      expect((await messageOf(w, a.token, sent[1].id)).status).toBe('cancelled');
    } finally {
      await pace(null);
    }
  });
});

describe('receiving media', () => {
  const fromB = async (body: Record<string, unknown>) => {
    const sent = await phoneSend(w, B, { to: A, ...body });
    const stored = await waitForStored(w, a.token, a.deviceId, B, `B's ${body.type}`, (m) => m.wa_id === sent.id);
    return { sent, stored };
  };

  it.each([
    ['image', JPEG, { mime_type: 'image/jpeg', caption: 'from B' }],
    ['video', MP4, { mime_type: 'video/mp4' }],
    ['audio', VOICE, { mime_type: 'audio/ogg' }],
    ['document', PDF, { mime_type: 'application/pdf', filename: 'boleto.pdf', caption: 'pague até sexta' }],
    ['sticker', WEBP, { mime_type: 'image/webp' }],
  ] as const)('a %s from B is stored, announced as pending then stored, and served back byte for byte', async (type, bytes, extra) => {
    const { sent, stored } = await fromB({ type, media: { data: bytes.toString('base64') }, ...extra });
    expect(stored.type).toBe(type);
    const received = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
    expect(['pending', 'stored']).toContain(received.data.message.content.media.state);
    const done = await waitForEvent(w, 'message.media', (d) => d.message?.wa_id === sent.id);
    expect(done.data.message.content.media).toMatchObject({
      state: 'stored',
      size: bytes.length,
      sha256: sha256(bytes),
      download_path: `/messages/${stored.id}/media`,
    });
    if ('caption' in extra) expect(done.data.message.content.media.caption).toBe(extra.caption);
    if ('filename' in extra) expect(done.data.message.content.media.filename).toBe(extra.filename);
    const got = await mediaBytes(stored.id);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toContain(extra.mime_type);
    expect(Number(got.headers['content-length'])).toBe(bytes.length);
    expect(sha256(got.body)).toBe(sha256(bytes));
    // a range of it
    const part = await mediaBytes(stored.id, { range: 'bytes=10-99' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-99/${bytes.length}`);
    expect(part.body.equals(bytes.subarray(10, 100))).toBe(true);
  });

  it('a voice note from B arrives as a voice note with its duration and waveform', async () => {
    const waveform = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7) % 101)).toString('base64');
    const { sent, stored } = await fromB({ type: 'voice', media: { data: VOICE.toString('base64') }, seconds: 3, waveform });
    expect(stored.content.media).toMatchObject({ voice_note: true, duration_seconds: 3, waveform });
    const done = await waitForEvent(w, 'message.media', (d) => d.message?.wa_id === sent.id);
    expect(done.data.message.content.media.sha256).toBe(sha256(VOICE));
  });

  it('a view-once image from B is marked view-once', async () => {
    const { stored } = await fromB({ type: 'image', media: { data: PNG.toString('base64') }, view_once: true });
    expect(stored.content.media.view_once).toBe(true);
  });

  it("media the device's own phone sends is stored too (as this account's)", async () => {
    const sent = await phoneSend(w, A, { to: B, type: 'image', media: { data: PNG.toString('base64') }, caption: 'from the phone' });
    const stored = await waitForStored(w, a.token, a.deviceId, B, 'the phone-sent image', (m) => m.wa_id === sent.id);
    expect(stored.direction).toBe('outbound');
    const done = await waitForEvent(w, 'message.media', (d) => d.message?.wa_id === sent.id);
    expect(done.data.message.content.media.sha256).toBe(sha256(PNG));
  });

  it('a file WhatsApp expired before WUTS fetched it is asked again from the sender, then stored', async () => {
    await disconnectDevice(w, a.token, a.deviceId);
    const sent = await phoneSend(w, B, { to: A, type: 'image', media: { data: JPEG.toString('base64') } });
    const expired = await emulatorApi(w.emu, 'POST', '/admin/media/expire', { phone: B, message_id: sent.id });
    expect(expired.status, JSON.stringify(expired.body)).toBe(200);
    await reconnectDevice(w, a.token, a.deviceId);
    const done = await waitForEvent(w, 'message.media', (d) => d.message?.wa_id === sent.id, 'message.media after the re-upload', 30_000);
    expect(done.data.message.content.media).toMatchObject({ state: 'stored', sha256: sha256(JPEG) });
    // it went through WhatsApp's media re-upload request (a server-error receipt from the device)
    const traffic = await emulatorApi<{ traffic: any[] }>(w.emu, 'GET', '/admin/traffic?limit=500');
    expect(traffic.body.traffic.some((t) => t.direction === 'in' && t.tag === 'receipt' && t.attrs.type === 'server-error' && t.attrs.id === sent.id)).toBe(
      true,
    );
  });

  it("the file is read under the message's rules: a viewer of the tenant may, another tenant gets 404", async () => {
    const history = await chatHistory(w, a.token, a.deviceId, B);
    const withFile = history.find((m) => m.direction === 'inbound' && m.content?.media?.state === 'stored')!;
    expect(withFile).toBeTruthy();
    const viewer = await createUser(w.t, { tenantId: a.tenantId, adminId: '', adminEmail: '', adminToken: a.token }, 'viewer');
    const asViewer = await w.t.app.inject({ method: 'GET', url: `/messages/${withFile.id}/media`, headers: { authorization: `Bearer ${viewer.token}` } });
    expect(asViewer.statusCode).toBe(200);
    const other = await createTenant(w.t);
    const asOther = await w.t.app.inject({ method: 'GET', url: `/messages/${withFile.id}/media`, headers: { authorization: `Bearer ${other.adminToken}` } });
    expect(asOther.statusCode).toBe(404);
    // and a viewer may not send
    const send = await w.t.call('POST', `/devices/${a.deviceId}/messages`, viewer.token, { type: 'image', to: B, media: { data: JPEG.toString('base64') } });
    expect(send.statusCode).toBe(403);
    expect(eventsOf(w, 'message.media').every((r) => r.verified)).toBe(true);
  });
});
