import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completePendingMedia, createPendingMedia, failPendingMedia, findMediaRecord, openMedia, sweepMedia } from '../../src/media/service.js';
import { AppError } from '../../src/lib/errors.js';
import { FsMediaStore } from '../../src/media/fs-store.js';
import type { MediaStore } from '../../src/media/store.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture } from '../helpers/factories.js';
import { multipartBody, pdfBytes, pngBytes, sha256, storedFiles } from '../helpers/media.js';

const MAX_UPLOAD = 100_000;
const QUOTA = 250_000;
const BODY_LIMIT = 4096;

let t: TestApp;
let tenant: TenantFixture;
beforeAll(async () => {
  t = await createTestApp({ bodyLimitBytes: BODY_LIMIT, mediaMaxUploadBytes: MAX_UPLOAD, mediaQuotaBytesPerTenant: QUOTA, mediaRetentionDays: 30 });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const dataDir = () => t.deps.config.dataDir;
const tenantBlobs = (tenantId: string) => storedFiles(dataDir()).filter((f) => f.startsWith(`tenants/${tenantId}/`));

function uploadRaw(token: string, bytes: Buffer, contentType?: string, query = '') {
  return t.app.inject({
    method: 'POST',
    url: `/media${query}`,
    headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    payload: bytes,
  });
}

function uploadMultipart(token: string, parts: Parameters<typeof multipartBody>[0]) {
  const { body, contentType } = multipartBody(parts);
  return t.app.inject({ method: 'POST', url: '/media', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body });
}

function content(token: string, id: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url: `/media/${id}/content`, headers: { authorization: `Bearer ${token}`, ...headers } });
}

async function expireInDb(id: string, column: 'expires_at' | 'created_at', when: Date) {
  await t.database.db.kysely
    .updateTable('media_files')
    .set({ [column]: when.toISOString() })
    .where('id', '=', id)
    .execute();
}

describe('POST /media and reading it back', () => {
  it('takes a raw body with its Content-Type and answers the media; metadata and content round-trip with the same SHA-256', async () => {
    const bytes = pngBytes(20_000); // larger than WUTS_BODY_LIMIT_BYTES: that limit is not this route's
    const before = Date.now();
    const res = await uploadRaw(tenant.adminToken, bytes, 'image/png', '?filename=photo%20%C3%A9t%C3%A9.png');
    expect(res.statusCode, res.body).toBe(201);
    const media = res.json().media;
    expect(res.json()).toEqual({
      success: true,
      media: {
        id: expect.any(String),
        mime_type: 'image/png',
        size: bytes.length,
        sha256: sha256(bytes),
        filename: 'photo été.png',
        expires_at: expect.any(String),
      },
    });
    const ttl = new Date(media.expires_at).getTime() - before;
    expect(ttl).toBeGreaterThan(24 * 3_600_000 - 5_000);
    expect(ttl).toBeLessThan(24 * 3_600_000 + 5_000);

    const meta = await t.call('GET', `/media/${media.id}`, tenant.adminToken);
    expect(meta.statusCode).toBe(200);
    expect(meta.json()).toEqual({ success: true, media });

    const got = await content(tenant.adminToken, media.id);
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(bytes)).toBe(true);
    expect(sha256(got.rawPayload)).toBe(media.sha256);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers['content-length']).toBe(String(bytes.length));
    expect(got.headers.etag).toBe(`"${media.sha256}"`);
    expect(got.headers['accept-ranges']).toBe('bytes');
    expect(got.headers['content-disposition']).toBe(`attachment; filename="photo _t_.png"; filename*=UTF-8''photo%20%C3%A9t%C3%A9.png`);
    expect(got.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(tenantBlobs(tenant.tenantId)).toEqual([`tenants/${tenant.tenantId}/${media.sha256}`]);
    // Nothing left behind: no temporary object, no partial file.
    expect(storedFiles(dataDir()).filter((f) => !f.startsWith('tenants/'))).toEqual([]);
  });

  it('takes multipart/form-data with one file part, its type and its file name', async () => {
    const bytes = pdfBytes(5000);
    const res = await uploadMultipart(tenant.adminToken, [
      { name: 'note', data: 'ignored' },
      { name: 'file', filename: 'C:\\docs\\report.pdf', type: 'application/pdf', data: bytes },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().media).toMatchObject({ mime_type: 'application/pdf', size: bytes.length, sha256: sha256(bytes), filename: 'report.pdf' });
    const got = await content(tenant.adminToken, res.json().media.id);
    expect(got.rawPayload.equals(bytes)).toBe(true);
  });

  it('refuses a multipart body without a file part (400)', async () => {
    const none = await uploadMultipart(tenant.adminToken, [{ name: 'note', data: 'no file here' }]);
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('media_file_missing');
  });

  it('refuses a multipart body that cannot be read (no boundary, a broken body) with 400, not 500', async () => {
    const noBoundary = await uploadRaw(tenant.adminToken, Buffer.from('x'), 'multipart/form-data');
    expect(noBoundary.statusCode, noBoundary.body).toBe(400);
    expect(noBoundary.json()).toMatchObject({ success: false, code: 'invalid_multipart' });
    expect(noBoundary.json().error).toContain('multipart');
    const broken = await uploadRaw(
      tenant.adminToken,
      Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\nxx'),
      'multipart/form-data; boundary=b',
    );
    expect(broken.statusCode, broken.body).toBe(400);
    expect(broken.json().code).toBe('invalid_multipart');
  });

  it('keeps the global body limit on every other route', async () => {
    const res = await t.call('POST', '/users', tenant.adminToken, { email: 'x@example.test', password: 'p'.repeat(BODY_LIMIT), role: 'agent' });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('body_too_large');
  });

  it('answers ranges with 206 and Content-Range, 416 for a range past the end, 304 for a known ETag', async () => {
    const bytes = pngBytes(3000);
    const { media } = (await uploadRaw(tenant.adminToken, bytes, 'image/png')).json();
    const size = bytes.length;

    const part = await content(tenant.adminToken, media.id, { range: 'bytes=10-19' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${size}`);
    expect(part.headers['content-length']).toBe('10');
    expect(part.rawPayload.equals(bytes.subarray(10, 20))).toBe(true);

    const tail = await content(tenant.adminToken, media.id, { range: 'bytes=-5' });
    expect(tail.statusCode).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes ${size - 5}-${size - 1}/${size}`);
    expect(tail.rawPayload.equals(bytes.subarray(size - 5))).toBe(true);

    const open = await content(tenant.adminToken, media.id, { range: `bytes=${size - 3}-` });
    expect(open.statusCode).toBe(206);
    expect(open.rawPayload.equals(bytes.subarray(size - 3))).toBe(true);

    const past = await content(tenant.adminToken, media.id, { range: `bytes=${size}-` });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${size}`);
    expect(past.json()).toEqual({ success: false, error: expect.any(String), code: 'range_not_satisfiable' });

    const ignored = await content(tenant.adminToken, media.id, { range: 'bytes=1-2,5-6' });
    expect(ignored.statusCode).toBe(200);
    expect(ignored.rawPayload.equals(bytes)).toBe(true);

    const staleIfRange = await content(tenant.adminToken, media.id, { range: 'bytes=0-0', 'if-range': '"other"' });
    expect(staleIfRange.statusCode).toBe(200);

    const cached = await content(tenant.adminToken, media.id, { 'if-none-match': `"${media.sha256}"` });
    expect(cached.statusCode).toBe(304);
    expect(cached.rawPayload.length).toBe(0);
  });

  it('stores the same bytes once: two ids, one blob, deleted only with the last row naming it', async () => {
    const other = await createTenant(t);
    const bytes = pngBytes(4000);
    const first = (await uploadRaw(other.adminToken, bytes, 'image/png')).json().media;
    const second = (await uploadRaw(other.adminToken, bytes, 'image/png')).json().media;
    expect(first.id).not.toBe(second.id);
    expect(first.sha256).toBe(second.sha256);
    expect(tenantBlobs(other.tenantId)).toEqual([`tenants/${other.tenantId}/${first.sha256}`]);

    const view = (await t.call('GET', `/tenants/${other.tenantId}`, t.masterToken)).json().tenant;
    expect(view).toMatchObject({ media_bytes: bytes.length, media_files: 2 });

    await sweepMedia(t.deps); // what earlier tests left expired
    await expireInDb(first.id, 'expires_at', new Date(Date.now() - 1000));
    expect(await sweepMedia(t.deps)).toBe(1);
    expect((await t.call('GET', `/media/${first.id}`, other.adminToken)).statusCode).toBe(404);
    expect(tenantBlobs(other.tenantId)).toHaveLength(1);
    expect((await content(other.adminToken, second.id)).rawPayload.equals(bytes)).toBe(true);

    await expireInDb(second.id, 'expires_at', new Date(Date.now() - 1000));
    expect(await sweepMedia(t.deps)).toBe(1);
    expect(tenantBlobs(other.tenantId)).toEqual([]);
    expect((await t.call('GET', `/tenants/${other.tenantId}`, t.masterToken)).json().tenant).toMatchObject({ media_bytes: 0, media_files: 0 });
  });

  it('refuses a file larger than WUTS_MEDIA_MAX_UPLOAD_BYTES with 413 media_too_large, leaving nothing behind', async () => {
    const before = storedFiles(dataDir());
    const res = await uploadRaw(tenant.adminToken, pngBytes(MAX_UPLOAD), 'image/png');
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('media_too_large');
    const multi = await uploadMultipart(tenant.adminToken, [{ name: 'file', filename: 'big.png', type: 'image/png', data: pngBytes(MAX_UPLOAD) }]);
    expect(multi.statusCode).toBe(413);
    expect(multi.json().code).toBe('media_too_large');
    expect(storedFiles(dataDir())).toEqual(before);
    // Exactly the limit is accepted.
    const exact = pngBytes(MAX_UPLOAD - pngBytes(0).length);
    expect((await uploadRaw(tenant.adminToken, exact, 'image/png')).statusCode).toBe(201);
  });

  it('refuses bytes that are not the declared type (400 media_type_mismatch); types the sniffer cannot know pass as declared', async () => {
    const pdfAsPng = await uploadRaw(tenant.adminToken, pdfBytes(), 'image/png');
    expect(pdfAsPng.statusCode).toBe(400);
    expect(pdfAsPng.json()).toMatchObject({ success: false, code: 'media_type_mismatch' });
    const noiseAsPng = await uploadRaw(tenant.adminToken, randomBytes(500), 'image/png');
    expect(noiseAsPng.statusCode).toBe(400);
    expect(noiseAsPng.json().code).toBe('media_type_mismatch');
    const multi = await uploadMultipart(tenant.adminToken, [{ name: 'file', filename: 'x.jpg', type: 'image/jpeg', data: pngBytes() }]);
    expect(multi.statusCode).toBe(400);

    const text = await uploadRaw(tenant.adminToken, Buffer.from('hello, plain text\n'), 'text/plain; charset=utf-8');
    expect(text.statusCode, text.body).toBe(201);
    expect(text.json().media.mime_type).toBe('text/plain; charset=utf-8');
    const unknownAudio = await uploadRaw(tenant.adminToken, randomBytes(300), 'audio/x-some-codec');
    expect(unknownAudio.statusCode).toBe(201);
    expect(unknownAudio.json().media.mime_type).toBe('audio/x-some-codec');
    const undeclared = await uploadRaw(tenant.adminToken, pdfBytes(), 'application/octet-stream');
    expect(undeclared.json().media.mime_type).toBe('application/pdf');
    const jpg = await uploadRaw(tenant.adminToken, Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...randomBytes(100)]), 'image/jpg');
    expect(jpg.statusCode).toBe(201);

    const empty = await uploadRaw(tenant.adminToken, Buffer.alloc(0), 'image/png');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('media_empty');
    const badType = await uploadRaw(tenant.adminToken, pngBytes(), 'not a type');
    expect(badType.statusCode).toBe(415);
    expect(badType.json().code).toBe('unsupported_media_type');
  });

  it('answers 404 for an expired upload id, as for one that never existed', async () => {
    const { media } = (await uploadRaw(tenant.adminToken, pngBytes(), 'image/png')).json();
    await expireInDb(media.id, 'expires_at', new Date(Date.now() - 1000));
    for (const url of [`/media/${media.id}`, `/media/${media.id}/content`]) {
      const res = await t.call('GET', url, tenant.adminToken);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    await expect(openMedia(t.deps, tenant.tenantId, media.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("answers 404 for another tenant's id", async () => {
    const { media } = (await uploadRaw(tenant.adminToken, pngBytes(), 'image/png')).json();
    const stranger = await createTenant(t);
    for (const url of [`/media/${media.id}`, `/media/${media.id}/content`]) {
      const res = await t.call('GET', url, stranger.adminToken);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    await expect(openMedia(t.deps, stranger.tenantId, media.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lets viewers read but not upload (403); agents and supervisors upload; the master token is no tenant user', async () => {
    const viewer = await createUser(t, tenant, 'viewer');
    const refused = await uploadRaw(viewer.token, pngBytes(), 'image/png');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ success: false, error: 'your role may not media: upload', code: 'forbidden' });
    for (const role of ['agent', 'supervisor'] as const) {
      const user = await createUser(t, tenant, role);
      expect((await uploadRaw(user.token, pngBytes(), 'image/png')).statusCode).toBe(201);
    }
    const { media } = (await uploadRaw(tenant.adminToken, pngBytes(), 'image/png')).json();
    expect((await t.call('GET', `/media/${media.id}`, viewer.token)).statusCode).toBe(200);
    expect((await content(viewer.token, media.id)).statusCode).toBe(200);
    const master = await uploadRaw(t.masterToken, pngBytes(), 'image/png');
    expect(master.statusCode).toBe(403);
    expect(master.json().code).toBe('tenant_user_required');
    expect((await uploadRaw('wuts_tok_nope', pngBytes(), 'image/png')).statusCode).toBe(401);
  });

  it('refuses a new file past the tenant quota with 413 media_quota_exceeded; bytes it already has cost nothing', async () => {
    const small = await createTenant(t);
    const a = pngBytes(90_000);
    const b = pngBytes(90_000);
    expect((await uploadRaw(small.adminToken, a, 'image/png')).statusCode).toBe(201);
    expect((await uploadRaw(small.adminToken, b, 'image/png')).statusCode).toBe(201);
    const over = await uploadRaw(small.adminToken, pngBytes(90_000), 'image/png');
    expect(over.statusCode).toBe(413);
    expect(over.json().code).toBe('media_quota_exceeded');
    expect(tenantBlobs(small.tenantId)).toHaveLength(2);
    // The same bytes again are stored once: no more quota used.
    expect((await uploadRaw(small.adminToken, a, 'image/png')).statusCode).toBe(201);
    // Another tenant has its own quota.
    expect((await uploadRaw(tenant.adminToken, pngBytes(90_000), 'image/png')).statusCode).toBe(201);
    const usage = (await t.call('GET', `/tenants?name_prefix=${encodeURIComponent('Tenant')}&limit=500`, t.masterToken)).json().tenants;
    expect(usage.find((x: { id: string }) => x.id === small.tenantId)).toMatchObject({ media_bytes: a.length + b.length, media_files: 3 });
  });

  it('deletes media older than the retention, with its blob', async () => {
    const old = await createTenant(t);
    const bytes = pngBytes();
    const { media } = (await uploadRaw(old.adminToken, bytes, 'image/png')).json();
    const fresh = (await uploadRaw(old.adminToken, pngBytes(), 'image/png')).json().media;
    await sweepMedia(t.deps); // what earlier tests left expired
    await expireInDb(media.id, 'created_at', new Date(Date.now() - 31 * 86_400_000));
    expect(await sweepMedia(t.deps)).toBe(1);
    expect((await t.call('GET', `/media/${media.id}`, old.adminToken)).statusCode).toBe(404);
    expect(tenantBlobs(old.tenantId)).toEqual([`tenants/${old.tenantId}/${fresh.sha256}`]);
  });

  it("keeps the tenant's usage as files come and go: identical bytes count once, until the last file naming them goes", async () => {
    const counted = await createTenant(t);
    const usage = async () => (await t.call('GET', `/tenants/${counted.tenantId}`, t.masterToken)).json().tenant;
    const a = pngBytes(30_000);
    const b = pdfBytes();
    const first = (await uploadRaw(counted.adminToken, a, 'image/png')).json().media;
    const second = (await uploadRaw(counted.adminToken, a, 'image/png')).json().media;
    const other = (await uploadRaw(counted.adminToken, b, 'application/pdf')).json().media;
    expect(await usage()).toMatchObject({ media_bytes: a.length + b.length, media_files: 3 });
    // a pending download costs nothing until it is stored; stored with bytes the tenant has, still nothing
    const pending = await createPendingMedia(t.deps, counted.tenantId, { mimeType: 'image/png' });
    expect((await usage()).media_bytes).toBe(a.length + b.length);
    await completePendingMedia(t.deps, counted.tenantId, pending.id, Readable.from([a]), { maxBytes: MAX_UPLOAD });
    expect(await usage()).toMatchObject({ media_bytes: a.length + b.length, media_files: 4 });
    await sweepMedia(t.deps); // what earlier tests left expired
    for (const id of [first.id, pending.id]) await expireInDb(id, 'created_at', new Date(Date.now() - 31 * 86_400_000));
    expect(await sweepMedia(t.deps)).toBe(2);
    expect(await usage()).toMatchObject({ media_bytes: a.length + b.length, media_files: 2 }); // `second` still names a
    await expireInDb(second.id, 'created_at', new Date(Date.now() - 31 * 86_400_000));
    expect(await sweepMedia(t.deps)).toBe(1);
    expect(await usage()).toMatchObject({ media_bytes: b.length, media_files: 1 });
    expect(tenantBlobs(counted.tenantId)).toEqual([`tenants/${counted.tenantId}/${other.sha256}`]);
  });

  it("removes a deleted tenant's blobs", async () => {
    const gone = await createTenant(t);
    await uploadRaw(gone.adminToken, pngBytes(), 'image/png');
    await uploadRaw(gone.adminToken, pdfBytes(), 'application/pdf');
    expect(tenantBlobs(gone.tenantId)).toHaveLength(2);
    expect((await t.call('DELETE', `/tenants/${gone.tenantId}`, t.masterToken)).statusCode).toBe(200);
    expect(tenantBlobs(gone.tenantId)).toEqual([]);
    const rows = await t.database.db.kysely.selectFrom('media_files').select('id').where('tenant_id', '=', gone.tenantId).execute();
    expect(rows).toEqual([]);
  });
});

describe('inbound downloads: pending → stored or failed', () => {
  it('completes a pending row with a stream whose SHA-256 is the expected one; a wrong hash keeps it pending', async () => {
    const bytes = randomBytes(3000);
    const { id } = await createPendingMedia(t.deps, tenant.tenantId, {
      mimeType: 'audio/ogg; codecs=opus',
      source: { directPath: '/v/t62/x', mediaKey: 'abc' },
    });
    const pending = await findMediaRecord(t.deps, tenant.tenantId, id);
    expect(pending).toMatchObject({ state: 'pending', origin: 'inbound', source: { directPath: '/v/t62/x', mediaKey: 'abc' }, attempts: 0, sha256: null });
    expect((await t.call('GET', `/media/${id}`, tenant.adminToken)).statusCode).toBe(404);

    const wrong = completePendingMedia(t.deps, tenant.tenantId, id, Readable.from([bytes]), { maxBytes: 10_000, expectedSha256: sha256(Buffer.from('x')) });
    await expect(wrong).rejects.toBeInstanceOf(AppError);
    await expect(wrong).rejects.toMatchObject({ statusCode: 502, code: 'media_hash_mismatch' });
    expect((await findMediaRecord(t.deps, tenant.tenantId, id))?.state).toBe('pending');

    const stored = await completePendingMedia(t.deps, tenant.tenantId, id, Readable.from([bytes]), { maxBytes: 10_000, expectedSha256: sha256(bytes) });
    expect(stored).toEqual({ id, mime_type: 'audio/ogg; codecs=opus', size: 3000, sha256: sha256(bytes), filename: null, expires_at: null });
    const got = await content(tenant.adminToken, id);
    expect(got.rawPayload.equals(bytes)).toBe(true);
    expect(got.headers['content-type']).toBe('audio/ogg; codecs=opus');
    await expect(completePendingMedia(t.deps, tenant.tenantId, id, Readable.from([bytes]), { maxBytes: 10_000 })).rejects.toMatchObject({ statusCode: 404 });
    expect((await findMediaRecord(t.deps, tenant.tenantId, id))?.state).toBe('stored');
  });

  it('counts failed attempts, then fails for good', async () => {
    const { id } = await createPendingMedia(t.deps, tenant.tenantId, { mimeType: 'image/jpeg', filename: 'pic.jpg' });
    expect(await failPendingMedia(t.deps, tenant.tenantId, id, 'timeout', { retry: true })).toBe(true);
    expect(await findMediaRecord(t.deps, tenant.tenantId, id)).toMatchObject({ state: 'pending', attempts: 1, error: 'timeout' });
    expect(await failPendingMedia(t.deps, tenant.tenantId, id, 'gone (410)', { retry: false })).toBe(true);
    expect(await findMediaRecord(t.deps, tenant.tenantId, id)).toMatchObject({ state: 'failed', attempts: 2, error: 'gone (410)' });
    expect(await failPendingMedia(t.deps, tenant.tenantId, id, 'again', { retry: true })).toBe(false);
    await expect(completePendingMedia(t.deps, tenant.tenantId, id, Readable.from([Buffer.from('x')]), { maxBytes: 10 })).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('stops a download past maxBytes with 413, the row still pending', async () => {
    const { id } = await createPendingMedia(t.deps, tenant.tenantId, { mimeType: 'video/mp4' });
    await expect(completePendingMedia(t.deps, tenant.tenantId, id, Readable.from([randomBytes(2000)]), { maxBytes: 1000 })).rejects.toMatchObject({
      statusCode: 413,
      code: 'media_too_large',
    });
    expect((await findMediaRecord(t.deps, tenant.tenantId, id))?.state).toBe('pending');
  });
});

describe('over a real connection', () => {
  it('leaves nothing behind when the client goes away mid-upload, and HEAD answers the headers only', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const before = storedFiles(dataDir());
    const { createConnection } = await import('node:net');
    const socket = createConnection({ host: '127.0.0.1', port: Number(port) });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tenant.adminToken}\r\nContent-Type: image/png\r\nContent-Length: 50000\r\n\r\n`,
    );
    socket.write(pngBytes(10_000));
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    let after: string[] = [];
    for (let i = 0; i < 50; i++) {
      after = storedFiles(dataDir());
      if (after.join() === before.join()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toEqual(before);

    const bytes = pngBytes(2000);
    const { media } = (await uploadRaw(tenant.adminToken, bytes, 'image/png')).json();
    const head = await fetch(`${address}/media/${media.id}/content`, { method: 'HEAD', headers: { authorization: `Bearer ${tenant.adminToken}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(head.headers.get('etag')).toBe(`"${media.sha256}"`);
    const got = await fetch(`${address}/media/${media.id}/content`, { headers: { authorization: `Bearer ${tenant.adminToken}`, range: 'bytes=5-9' } });
    expect(got.status).toBe(206);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes.subarray(5, 10))).toBe(true);
  });
});

describe('a blob deleted between its placement and its row', () => {
  it('answers 503 media_store_conflict and keeps nothing; the same bytes sent again are stored', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-media-race-'));
    const real = await FsMediaStore.open(path.join(root, 'media'));
    let deleteAfterMove = false;
    // The real store, with what a delete of the tenant's last row with the same bytes does at that moment
    const store: MediaStore = Object.assign(Object.create(real) as MediaStore, {
      move: async (from: string, to: string) => {
        await real.move(from, to);
        if (deleteAfterMove && to.startsWith('tenants/')) await real.delete(to);
      },
    });
    const app = await createTestApp({ mediaQuotaBytesPerTenant: QUOTA }, {}, { media: store });
    try {
      const racing = await createTenant(app);
      const bytes = pngBytes(10_000);
      deleteAfterMove = true;
      const res = await app.app.inject({
        method: 'POST',
        url: '/media',
        headers: { authorization: `Bearer ${racing.adminToken}`, 'content-type': 'image/png' },
        payload: bytes,
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().code).toBe('media_store_conflict');
      const rows = await app.database.db.kysely.selectFrom('media_files').select('id').where('tenant_id', '=', racing.tenantId).execute();
      expect(rows).toEqual([]);
      expect(storedFiles(root).filter((f) => !f.startsWith('.incoming'))).toEqual([]);
      deleteAfterMove = false;
      const again = await app.app.inject({
        method: 'POST',
        url: '/media',
        headers: { authorization: `Bearer ${racing.adminToken}`, 'content-type': 'image/png' },
        payload: bytes,
      });
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json().media.sha256).toBe(sha256(bytes));
      expect(storedFiles(root)).toContain(`tenants/${racing.tenantId}/${sha256(bytes)}`);
    } finally {
      await app.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
