import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Settings } from '../config.js';
import { checkKey, checkRange, MediaObjectMissingError, type ByteRange, type MediaStore, type StoredObject } from './store.js';

export type S3StoreOptions = S3Settings;

/**
 * A multipart upload buffers at most PART_SIZE * QUEUE_SIZE bytes of an object in memory (5 MiB
 * is S3's smallest part; 2 parts in flight keep the link busy).
 */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** The `length` bytes of `source` after its first `skip`; the rest of `source` is not read. */
function slice(source: Readable, skip: number, length: number): Readable {
  if (skip < 0) {
    source.destroy();
    throw new Error('the S3 server answered a range starting after the one asked for');
  }
  let position = 0;
  let ended = false;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (ended) return done();
      const from = Math.max(0, skip - position);
      const to = Math.min(chunk.length, skip + length - position);
      position += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (position >= skip + length) {
        ended = true;
        this.push(null);
        source.unpipe(out);
        source.destroy();
      }
      done();
    },
  });
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
}

/**
 * The media store on an S3-compatible service: each key is an object of the bucket. A put streams
 * through `@aws-sdk/lib-storage`'s `Upload` (one PutObject for small objects, a multipart upload
 * otherwise, aborted when the source fails), so an object is never held whole in memory; a
 * range read is a ranged GetObject; a move is a server-side CopyObject then a DeleteObject.
 * Checksums are computed only where S3 requires them: several S3-compatible services refuse the
 * SDK's newer default (streaming trailer checksums).
 */
export class S3MediaStore implements MediaStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
    });
  }

  async put(key: string, source: Readable, options: { contentType: string }): Promise<{ size: number }> {
    checkKey(key);
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    // A source that fails or closes early destroys `counted` with the error, which fails the upload.
    const piped = pipeline(source, counted).catch(() => {});
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted, ContentType: options.contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      counted.destroy();
      source.destroy();
      throw err;
    } finally {
      await piped;
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject | undefined> {
    checkKey(key);
    if (range) {
      // The range is checked against the real size first: S3 clamps or refuses on its own terms.
      const head = await this.head(key);
      if (!head) return undefined;
      checkRange(range, head.size);
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const body = res.Body;
      let stream = body instanceof Readable ? body : Readable.fromWeb((body as unknown as { transformToWebStream(): never }).transformToWebStream());
      const served = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange ?? '');
      const total = served ? Number(served[3]) : Number(res.ContentLength ?? 0);
      // Some S3-compatible servers answer a range with more than was asked (s3rver: the whole
      // object for bytes=0-0): the extra bytes are cut here.
      if (range && (!served || Number(served[1]) !== range.start || Number(served[2]) !== range.end)) {
        stream = slice(stream, range.start - (served ? Number(served[1]) : 0), range.end - range.start + 1);
      }
      return { stream, size: total };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    checkKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: Number(res.ContentLength ?? 0) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async move(from: string, to: string): Promise<void> {
    checkKey(from);
    checkKey(to);
    try {
      // Keys are checked to hold only URL-safe characters: the copy source needs no escaping.
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${from}` }));
    } catch (err) {
      if (isNotFound(err)) throw new MediaObjectMissingError(from);
      throw err;
    }
    await this.delete(from);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async deletePrefix(prefix: string, options: { before?: Date } = {}): Promise<number> {
    const before = options.before?.getTime() ?? Infinity;
    checkKey(prefix.replace(/\/$/, ''));
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key && (before === Infinity || (object.LastModified && object.LastModified.getTime() < before))) {
          await this.delete(object.Key);
          removed++;
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
