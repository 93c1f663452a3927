import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture } from '../helpers/factories.js';

/**
 * Sending media through the API, without WhatsApp: the message is accepted (202, queued) only
 * with its file in the media store, and every way a file can be wrong is a clear 4xx before
 * anything is queued.
 */
const JPEG = fs.readFileSync('test/fixtures/photo.jpg');
const VOICE = fs.readFileSync('test/fixtures/voice-note.ogg');
const PEER = '5511987654321';

/** A WAV file: 2.5 s of a 440 Hz tone, 16 kHz mono. */
function toneWav(): Buffer {
  const rate = 16_000;
  const samples = rate * 2.5;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

let t: TestApp;
let tenant: TenantFixture;
let deviceId: string;
let files: http.Server;
let filesUrl = '';
/** How many times the file server answered each path. */
const fetches = new Map<string, number>();

beforeAll(async () => {
  const defaults = loadConfig({}).mediaMaxBytes;
  // private addresses allowed (the file server is on 127.0.0.1); images capped at 2 KB
  t = await createTestApp({ allowPrivateWebhooks: true, mediaMaxBytes: { ...defaults, image: 2048 } });
  tenant = await createTenant(t);
  const created = await t.call('POST', '/devices', tenant.adminToken, { name: 'front desk' });
  expect(created.statusCode, created.body).toBe(201);
  deviceId = created.json().device.id;
  files = http.createServer((req, res) => {
    fetches.set(req.url ?? '', (fetches.get(req.url ?? '') ?? 0) + 1);
    if (req.url === '/photo.jpg' || req.url === '/once.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
    if (req.url === '/moved') return res.writeHead(301, { location: '/photo.jpg' }).end();
    if (req.url === '/big.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.concat([JPEG, randomBytes(10_000)]));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => files?.close(r));
  await t?.close();
});

const send = (body: Record<string, unknown>, token = tenant.adminToken) => t.call('POST', `/devices/${deviceId}/messages`, token, { to: PEER, ...body });

async function queuedCount(): Promise<number> {
  const rows = await t.deps.db.kysely.selectFrom('messages').select('id').where('device_id', '=', deviceId).execute();
  return rows.length;
}

describe('media sends', () => {
  it('an image by URL is accepted with its file stored', async () => {
    const res = await send({ type: 'image', media: { url: `${filesUrl}/photo.jpg` }, caption: 'hi' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().message.content.media).toMatchObject({ state: 'stored', mime_type: 'image/jpeg', size: JPEG.length, caption: 'hi' });
  });

  it.each([
    ['a URL that redirects', { type: 'image', media: { url: 'FILES/moved' } }, 400, 'media_url_redirect'],
    ['a URL that answers 404', { type: 'image', media: { url: 'FILES/nothing' } }, 400, 'media_url_failed'],
    ['a file over the type limit (by URL)', { type: 'image', media: { url: 'FILES/big.jpg' } }, 413, 'media_too_large'],
    [
      'a file over the type limit (inline)',
      { type: 'image', media: { data: Buffer.concat([JPEG, randomBytes(4000)]).toString('base64') } },
      413,
      'media_too_large',
    ],
    ['data that is not base64', { type: 'image', media: { data: 'not base64 at all!' } }, 400, 'invalid_media_data'],
    ['a PDF sent as an image', { type: 'image', media: { data: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64') } }, 400, 'media_type_not_allowed'],
    ['a JPEG sent as a voice note', { type: 'voice', media: { data: JPEG.toString('base64') } }, 400, 'media_type_not_allowed'],
    ['a JPEG declared as PNG', { type: 'image', media: { data: JPEG.toString('base64') }, mime_type: 'image/png' }, 400, 'media_type_mismatch'],
    ['an unknown upload id', { type: 'image', media: { id: '0190a6c4-1c2d-7e3f-8a4b-5c6d7e8f9a0b' } }, 404, 'not_found'],
    ['two sources at once', { type: 'image', media: { data: JPEG.toString('base64'), url: 'FILES/photo.jpg' } }, 400, 'invalid_request'],
    ['a caption on an audio', { type: 'audio', media: { data: VOICE.toString('base64') }, caption: 'no' }, 400, 'field_not_allowed'],
  ] as const)('%s: the status and code it names, nothing queued', async (_name, body, status, code) => {
    const before = await queuedCount();
    // the file server's address is known once it listens: FILES stands for it in the table
    const res = await send(JSON.parse(JSON.stringify(body).replaceAll('FILES/', `${filesUrl}/`)) as Record<string, unknown>);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect(await queuedCount()).toBe(before);
  });

  it('another tenant’s upload id is unknown here (404)', async () => {
    const other = await createTenant(t);
    const up = await t.call('POST', '/media', other.adminToken, JPEG, { 'content-type': 'image/jpeg' });
    expect(up.statusCode, up.body).toBe(201);
    const res = await send({ type: 'image', media: { id: up.json().media.id } });
    expect(res.statusCode, res.body).toBe(404);
  });

  it('a replayed Idempotency-Key answers the first message without fetching the file again', async () => {
    const body = { type: 'image', to: PEER, media: { url: `${filesUrl}/once.jpg` } };
    const first = await t.call('POST', `/devices/${deviceId}/messages`, tenant.adminToken, body, { 'idempotency-key': 'media-once-1' });
    expect(first.statusCode, first.body).toBe(202);
    const again = await t.call('POST', `/devices/${deviceId}/messages`, tenant.adminToken, body, { 'idempotency-key': 'media-once-1' });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().message.id).toBe(first.json().message.id);
    expect(fetches.get('/once.jpg')).toBe(1);
    // the same key with another file is a 409, still without fetching it
    const other = await t.call(
      'POST',
      `/devices/${deviceId}/messages`,
      tenant.adminToken,
      { ...body, caption: 'changed' },
      { 'idempotency-key': 'media-once-1' },
    );
    expect(other.statusCode).toBe(409);
    expect(fetches.get('/once.jpg')).toBe(1);
  });

  it('a voice note is read for its duration and waveform', async () => {
    const res = await send({ type: 'voice', media: { data: VOICE.toString('base64') } });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().message.content.media).toMatchObject({ voice_note: true, duration_seconds: 3, mime_type: 'audio/ogg; codecs=opus' });
  });

  it('a WAV sent as a voice note is converted into OGG/Opus (ffmpeg) and sent as one', async () => {
    const res = await send({ type: 'voice', media: { data: toneWav().toString('base64') } });
    expect(res.statusCode, res.body).toBe(202);
    const message = res.json().message;
    expect(message.content.media).toMatchObject({ voice_note: true, duration_seconds: 3, mime_type: 'audio/ogg; codecs=opus' });
    const file = await t.call('GET', `/messages/${message.id}/media`, tenant.adminToken);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(file.rawPayload.subarray(28, 36).toString('latin1')).toBe('OpusHead');
  });

  it('a viewer may not send media (403), and nothing is stored for it', async () => {
    const viewer = await createUser(t, tenant, 'viewer');
    const res = await send({ type: 'image', media: { url: `${filesUrl}/photo.jpg` } }, viewer.token);
    expect(res.statusCode, res.body).toBe(403);
  });
});

describe('media URLs and private addresses', () => {
  let strict: TestApp;
  beforeAll(async () => {
    // no private addresses, and no encoder for voice notes
    strict = await createTestApp({ allowPrivateWebhooks: false, ffmpegPath: '/nonexistent/ffmpeg' });
  });
  afterAll(async () => strict?.close());

  it('a URL to a private or loopback address is refused (400), by literal address and by name', async () => {
    const owner = await createTenant(strict);
    const device = (await strict.call('POST', '/devices', owner.adminToken, { name: 'd' })).json().device.id;
    for (const url of [`${filesUrl}/photo.jpg`, `http://localhost:${new URL(filesUrl).port}/photo.jpg`, 'http://10.0.0.1/x.jpg']) {
      const res = await strict.call('POST', `/devices/${device}/messages`, owner.adminToken, { type: 'image', to: PEER, media: { url } });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json().code, url).toBe('media_url_forbidden');
    }
  });

  it('without an encoder, a WAV voice note is refused with a 400 naming the format', async () => {
    const owner = await createTenant(strict);
    const device = (await strict.call('POST', '/devices', owner.adminToken, { name: 'd' })).json().device.id;
    const res = await strict.call('POST', `/devices/${device}/messages`, owner.adminToken, {
      type: 'voice',
      to: PEER,
      media: { data: toneWav().toString('base64') },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('voice_format_not_supported');
    expect(res.json().error).toContain('OGG/Opus');
    // an OGG/Opus voice note needs no encoder
    const ok = await strict.call('POST', `/devices/${device}/messages`, owner.adminToken, {
      type: 'voice',
      to: PEER,
      media: { data: VOICE.toString('base64') },
    });
    expect(ok.statusCode, ok.body).toBe(202);
  });
});
