import { supportedMimeTypes } from 'file-type';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { contentDisposition, parseRange } from '../../src/http/media-stream.js';
import { cleanFilename, judgeMediaType, mediaFamily, parseMimeType } from '../../src/media/media-type.js';
import { checkKey } from '../../src/media/store.js';

describe('parseRange', () => {
  it('reads one bytes range, clamped to the file', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'range', range: { start: 0, end: 9 } });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'range', range: { start: 90, end: 99 } });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'range', range: { start: 90, end: 99 } });
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'range', range: { start: 0, end: 99 } });
    expect(parseRange('bytes=50-500', 100)).toEqual({ kind: 'range', range: { start: 50, end: 99 } });
    expect(parseRange('BYTES = 1 - 2', 100)).toEqual({ kind: 'range', range: { start: 1, end: 2 } });
  });

  it('calls a range starting past the end, and any range of an empty file, unsatisfiable', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=100-200', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores what is not one valid bytes range (the whole file is answered)', () => {
    for (const header of [undefined, '', 'bytes=', 'bytes=-', 'bytes=5-3', 'bytes=0-1,3-4', 'items=0-1', 'bytes=a-b', 'bytes=99999999999999999999-'])
      expect(parseRange(header, 100), String(header)).toEqual({ kind: 'whole' });
  });
});

describe('contentDisposition', () => {
  it('is an attachment, with the name in ASCII and in UTF-8', () => {
    expect(contentDisposition(null)).toBe('attachment');
    expect(contentDisposition('a.pdf')).toBe(`attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`);
    expect(contentDisposition('relatório "final" 100%.pdf')).toBe(
      `attachment; filename="relat_rio _final_ 100_.pdf"; filename*=UTF-8''relat%C3%B3rio%20%22final%22%20100%25.pdf`,
    );
  });
});

describe('media types', () => {
  const judge = (declared: string | undefined, sniffed: string | undefined) => judgeMediaType(declared, sniffed, supportedMimeTypes);

  it('parses type/subtype with parameters', () => {
    expect(parseMimeType('Image/PNG')).toEqual({ essence: 'image/png', full: 'image/png' });
    expect(parseMimeType('audio/ogg;codecs=opus')).toEqual({ essence: 'audio/ogg', full: 'audio/ogg; codecs=opus' });
    for (const bad of ['', 'png', 'image/', '/png', 'image png', 'a/b\u0000', 'x/' + 'y'.repeat(300)]) expect(parseMimeType(bad), bad).toBeUndefined();
  });

  it('takes the declared type when the bytes are it, or of its family', () => {
    expect(judge('image/png', 'image/png')).toEqual({ ok: true, mimeType: 'image/png' });
    expect(judge('image/jpg', 'image/jpeg')).toEqual({ ok: true, mimeType: 'image/jpg' });
    expect(judge('audio/ogg; codecs=opus', 'audio/ogg; codecs=opus')).toEqual({ ok: true, mimeType: 'audio/ogg; codecs=opus' });
    expect(judge('audio/opus', 'audio/ogg')).toMatchObject({ ok: true });
    expect(judge('audio/x-wav', 'audio/wav')).toMatchObject({ ok: true });
    expect(judge('audio/mp4', 'video/mp4')).toMatchObject({ ok: true });
    expect(judge('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/zip')).toMatchObject({ ok: true });
    expect(judge('application/msword', 'application/x-cfb')).toMatchObject({ ok: true });
    expect(judge('text/plain', 'application/xml')).toMatchObject({ ok: true });
  });

  it('refuses bytes recognised as something else, or not recognised as a type the sniffer knows', () => {
    expect(judge('image/png', 'application/pdf')).toEqual({ ok: false, sniffed: 'application/pdf' });
    expect(judge('image/jpeg', 'image/png')).toEqual({ ok: false, sniffed: 'image/png' });
    expect(judge('text/plain', 'image/png')).toEqual({ ok: false, sniffed: 'image/png' });
    expect(judge('image/png', undefined)).toEqual({ ok: false, sniffed: undefined });
    expect(judge('video/mp4', undefined)).toEqual({ ok: false, sniffed: undefined });
  });

  it('passes types the sniffer cannot know as declared, and uses the sniffed type when none is declared', () => {
    expect(judge('text/plain', undefined)).toEqual({ ok: true, mimeType: 'text/plain' });
    expect(judge('application/json', undefined)).toEqual({ ok: true, mimeType: 'application/json' });
    expect(judge('audio/x-some-codec', undefined)).toEqual({ ok: true, mimeType: 'audio/x-some-codec' });
    expect(judge(undefined, 'image/webp')).toEqual({ ok: true, mimeType: 'image/webp' });
    expect(judge('application/octet-stream', 'application/pdf')).toEqual({ ok: true, mimeType: 'application/pdf' });
    expect(judge(undefined, undefined)).toEqual({ ok: true, mimeType: 'application/octet-stream' });
  });

  it('groups families', () => {
    expect(mediaFamily('audio/x-flac')).toBe('audio/flac');
    expect(mediaFamily('video/quicktime')).toBe(mediaFamily('video/mp4'));
    expect(mediaFamily('image/png')).not.toBe(mediaFamily('image/jpeg'));
  });

  it('cleans file names', () => {
    expect(cleanFilename(undefined)).toBeNull();
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('C:\\Users\\me\\photo.jpg')).toBe('photo.jpg');
    expect(cleanFilename('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(cleanFilename('..')).toBeNull();
    expect(cleanFilename('   ')).toBeNull();
    expect([...cleanFilename('é'.repeat(300))!]).toHaveLength(255);
  });
});

describe('media store keys', () => {
  it('allow segments of safe characters and refuse ways out', () => {
    expect(checkKey('tenants/0190-ab/abc123')).toBe('tenants/0190-ab/abc123');
    for (const key of ['', '/a', 'a/', 'a//b', '../a', 'a/../b', '.hidden', 'a b', 'a\\b', 'é']) expect(() => checkKey(key), key).toThrow();
  });
});

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'accepted';
}

describe('media settings', () => {
  it('default to files under the data directory, 100 MB uploads, 24 h upload ids, a 5 GiB quota, 30 days', () => {
    const c = loadConfig({});
    expect(c.mediaStore).toEqual({ kind: 'fs' });
    expect(c.mediaMaxUploadBytes).toBe(104_857_600);
    expect(c.mediaUploadTtlHours).toBe(24);
    expect(c.mediaQuotaBytesPerTenant).toBe(5_368_709_120);
    expect(c.mediaRetentionDays).toBe(30);
    expect(loadConfig({ WUTS_MEDIA_QUOTA_BYTES_PER_TENANT: '0', WUTS_MEDIA_RETENTION_DAYS: '0' })).toMatchObject({
      mediaQuotaBytesPerTenant: 0,
      mediaRetentionDays: 0,
    });
  });

  it('read an S3 store', () => {
    expect(
      loadConfig({
        WUTS_MEDIA_STORE: 's3',
        WUTS_S3_BUCKET: 'wuts-media',
        WUTS_S3_ENDPOINT: 'http://127.0.0.1:9000',
        WUTS_S3_ACCESS_KEY_ID: 'key',
        WUTS_S3_SECRET_ACCESS_KEY: 'secret',
        WUTS_S3_FORCE_PATH_STYLE: 'true',
      }).mediaStore,
    ).toEqual({
      kind: 's3',
      bucket: 'wuts-media',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      accessKeyId: 'key',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    });
    expect(loadConfig({ WUTS_MEDIA_STORE: 'S3', WUTS_S3_BUCKET: 'b.media', WUTS_S3_REGION: 'eu-west-3' }).mediaStore).toMatchObject({
      endpoint: undefined,
      region: 'eu-west-3',
      accessKeyId: undefined,
      forcePathStyle: false,
    });
  });

  it('refuse bad combinations in one line naming the setting', () => {
    expect(refusal({ WUTS_MEDIA_STORE: 'disk' })).toBe('WUTS_MEDIA_STORE must be fs or s3, got "disk"');
    expect(refusal({ WUTS_MEDIA_STORE: 's3' })).toBe('WUTS_S3_BUCKET is required when WUTS_MEDIA_STORE=s3');
    expect(refusal({ WUTS_S3_BUCKET: 'media' })).toBe(
      'WUTS_S3_BUCKET is set but WUTS_MEDIA_STORE is fs: set WUTS_MEDIA_STORE=s3 to keep media in S3, or unset WUTS_S3_BUCKET',
    );
    expect(refusal({ WUTS_MEDIA_STORE: 's3', WUTS_S3_BUCKET: 'media', WUTS_S3_ACCESS_KEY_ID: 'k' })).toBe(
      'WUTS_S3_SECRET_ACCESS_KEY is required when WUTS_S3_ACCESS_KEY_ID is set',
    );
    expect(refusal({ WUTS_MEDIA_STORE: 's3', WUTS_S3_BUCKET: 'media', WUTS_S3_SECRET_ACCESS_KEY: 's' })).toBe(
      'WUTS_S3_ACCESS_KEY_ID is required when WUTS_S3_SECRET_ACCESS_KEY is set',
    );
    expect(refusal({ WUTS_MEDIA_STORE: 's3', WUTS_S3_BUCKET: 'media', WUTS_S3_ENDPOINT: 'ftp://x' })).toMatch(/^WUTS_S3_ENDPOINT must be an http/);
    expect(refusal({ WUTS_MEDIA_STORE: 's3', WUTS_S3_BUCKET: 'Bad_Bucket' })).toMatch(/^WUTS_S3_BUCKET must be a bucket name/);
    expect(refusal({ WUTS_MEDIA_STORE: 's3', WUTS_S3_BUCKET: 'media', WUTS_S3_FORCE_PATH_STYLE: 'maybe' })).toMatch(
      /^WUTS_S3_FORCE_PATH_STYLE must be true or false/,
    );
    expect(refusal({ WUTS_MEDIA_MAX_UPLOAD_BYTES: '10' })).toMatch(/^WUTS_MEDIA_MAX_UPLOAD_BYTES must be between/);
    expect(refusal({ WUTS_MEDIA_UPLOAD_TTL_HOURS: '0' })).toMatch(/^WUTS_MEDIA_UPLOAD_TTL_HOURS must be between/);
  });
});
