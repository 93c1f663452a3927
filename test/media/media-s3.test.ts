import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3MediaStore } from '../../src/media/s3-store.js';
import { sweepMedia } from '../../src/media/service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant } from '../helpers/factories.js';
import { pngBytes, sha256 } from '../helpers/media.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

// The media API with WUTS_MEDIA_STORE=s3, against a real S3-protocol server (s3rver) on 127.0.0.1.

let s3: TestS3;
let store: S3MediaStore;
let t: TestApp;
beforeAll(async () => {
  s3 = await startTestS3();
  store = new S3MediaStore(s3.options);
  t = await createTestApp({ mediaStore: { kind: 's3', ...s3.options } }, {}, { media: store });
});
afterAll(async () => {
  await t?.close();
  await store?.close();
  await s3?.close();
});

function upload(token: string, bytes: Buffer) {
  return t.app.inject({ method: 'POST', url: '/media', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' }, payload: bytes });
}

describe('media on S3', () => {
  it('uploads, dedupes, serves ranges, sweeps and deletes a tenant’s blobs in the bucket', async () => {
    const tenant = await createTenant(t);
    const bytes = pngBytes(7 * 1024 * 1024); // more than one 5 MiB part: a multipart upload
    const first = (await upload(tenant.adminToken, bytes)).json().media;
    const second = (await upload(tenant.adminToken, bytes)).json().media;
    expect(first.sha256).toBe(sha256(bytes));
    expect(second.sha256).toBe(first.sha256);
    const key = `tenants/${tenant.tenantId}/${first.sha256}`;
    expect(await store.head(key)).toEqual({ size: bytes.length });

    const whole = await t.app.inject({ method: 'GET', url: `/media/${first.id}/content`, headers: { authorization: `Bearer ${tenant.adminToken}` } });
    expect(whole.statusCode).toBe(200);
    expect(sha256(whole.rawPayload)).toBe(first.sha256);
    const part = await t.app.inject({
      method: 'GET',
      url: `/media/${second.id}/content`,
      headers: { authorization: `Bearer ${tenant.adminToken}`, range: 'bytes=0-0' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(bytes.subarray(0, 1))).toBe(true);

    await t.database.db.kysely
      .updateTable('media_files')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', first.id)
      .execute();
    expect(await sweepMedia(t.deps)).toBe(1);
    expect(await store.head(key)).toEqual({ size: bytes.length });

    const other = (await upload(tenant.adminToken, pngBytes(100))).json().media;
    expect((await t.call('DELETE', `/tenants/${tenant.tenantId}`, t.masterToken)).statusCode).toBe(200);
    expect(await store.head(key)).toBeUndefined();
    expect(await store.head(`tenants/${tenant.tenantId}/${other.sha256}`)).toBeUndefined();
  }, 60_000);
});
