import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BlobError, type BlobStore } from './blob-store.js';
import { MEDIA_HOST_NAMES, type MediaCertificate } from './certificate.js';

export interface MediaHostOptions {
  store: BlobStore;
  cert: MediaCertificate;
  /** the upload token the `w:m` IQ hands out */
  auth: string;
  /** 0 = a free port */
  port: number;
  maxUploadBytes: number;
  logger: Logger;
}

const UPLOAD_PATH = /^(?:\/[a-z0-9-]+)+\/([A-Za-z0-9_-]{43})$/;
const DOWNLOAD_PATH = /\/([0-9a-f]{64})\.enc$/;
const DIRECT_PATH_PREFIX = '/v/t62.7118-24/emu/';
const PICTURE_PATH = /^\/pps\/g\/(\d{6,32}(?:-\d{1,20})?)\/(\d{1,20})\.jpg$/;

/** The JPEG of a group picture by group id and picture id (src/groups/group-picture.ts). */
export type PictureSource = (groupId: string, pictureId: string) => Buffer | undefined;

/** A new upload token for the `w:m` media_conn answer. */
export const newMediaAuth = (): string => randomBytes(24).toString('base64url');

/** The blob key (hex SHA-256 of the encrypted bytes) a direct path or media URL names, if it is one of ours. */
export function blobKeyOf(directPathOrUrl: string): string | undefined {
  const path = directPathOrUrl.startsWith('https://') ? new URL(directPathOrUrl).pathname : directPathOrUrl.split('?')[0]!;
  return DOWNLOAD_PATH.exec(path)?.[1];
}

/**
 * WhatsApp's media host, as Baileys uses it: an HTTPS listener on 127.0.0.1 with the
 * emulator's self-signed certificate.
 *
 * - `POST /mms/{image|video|audio|document|...}/TOKEN?auth=AUTH&token=TOKEN`: an encrypted
 *   blob. AUTH must be the `w:m` token, TOKEN the base64url SHA-256 of the body; the body
 *   streams to the blob store (at most `maxUploadBytes`). Answers `{url, direct_path}`;
 *   401 bad auth, 400 bad token or hash mismatch, 413 too large.
 * - `GET /v/t62.7118-24/emu/{sha256 hex}.enc` (a direct path): the blob, with Content-Length
 *   (a single `Range: bytes=a-b` answers 206); 404 when unknown or expired.
 * - `GET /pps/g/{group id}/{picture id}.jpg`: a group's picture (what profilePictureUrl names).
 */
export class MediaHost {
  private pictures: PictureSource = () => undefined;

  private constructor(
    private readonly server: Server,
    private readonly opts: MediaHostOptions,
    readonly port: number,
  ) {}

  static async start(opts: MediaHostOptions): Promise<MediaHost> {
    const ref: { host?: MediaHost } = {};
    const server = createServer({ key: opts.cert.keyPem, cert: opts.cert.certPem }, (req, res) => {
      ref.host!.handle(req, res).catch((err: unknown) => {
        opts.logger.error({ err }, 'media host request failed');
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    server.on('tlsClientError', (err) => opts.logger.debug({ err: err.message }, 'media host: TLS handshake failed (does the client trust the CA?)'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, MEDIA_HOST_NAMES.ip, () => {
        server.off('error', reject);
        resolve();
      });
    });
    ref.host = new MediaHost(server, opts, (server.address() as AddressInfo).port);
    return ref.host;
  }

  /** What the `w:m` IQ names as the host (Baileys puts it after `https://`). */
  get hostname(): string {
    return `${MEDIA_HOST_NAMES.ip}:${this.port}`;
  }

  get url(): string {
    return `https://${this.hostname}`;
  }

  get auth(): string {
    return this.opts.auth;
  }

  get maxUploadBytes(): number {
    return this.opts.maxUploadBytes;
  }

  get caPem(): string {
    return this.opts.cert.certPem;
  }

  /** Serves group pictures from `source` from now on. */
  servePictures(source: PictureSource): void {
    this.pictures = source;
  }

  directPathOf(key: string): string {
    return `${DIRECT_PATH_PREFIX}${key}.enc?ccb=11-4`;
  }

  /** Forgets the blob a direct path names: the host answers 404 for it from now on. */
  expire(directPath: string): boolean {
    const key = blobKeyOf(directPath);
    return key !== undefined && this.opts.store.delete('enc', key);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://media.invalid');
    if (req.method === 'POST') {
      const upload = UPLOAD_PATH.exec(url.pathname);
      if (upload) return this.upload(req, res, upload[1]!, url.searchParams);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const download = DOWNLOAD_PATH.exec(url.pathname);
      if (download) return this.download(req, res, download[1]!);
      const picture = PICTURE_PATH.exec(url.pathname);
      const jpeg = picture ? this.pictures(picture[1]!, picture[2]!) : undefined;
      if (jpeg) {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(jpeg.length) });
        res.end(req.method === 'HEAD' ? undefined : jpeg);
        return;
      }
    }
    req.resume();
    send(res, 404, { error: 'not found' });
  }

  private async upload(req: IncomingMessage, res: ServerResponse, token: string, query: URLSearchParams): Promise<void> {
    const refuse = (status: number, error: string) => {
      res.setHeader('connection', 'close');
      send(res, status, { error });
      req.resume();
    };
    if (!sameSecret(query.get('auth') ?? '', this.opts.auth)) return refuse(401, 'bad auth');
    if ((query.get('token') ?? token) !== token) return refuse(400, 'token mismatch');
    const expected = Buffer.from(token, 'base64url');
    if (expected.length !== 32) return refuse(400, 'bad token');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.opts.maxUploadBytes) return refuse(413, `over ${this.opts.maxUploadBytes} bytes`);
    let stored: { key: string; size: number };
    try {
      stored = await this.opts.store.put('enc', req, { maxBytes: this.opts.maxUploadBytes, expectSha256: expected });
    } catch (err) {
      if (err instanceof BlobError)
        return refuse(err.code === 'too_large' ? 413 : 400, err.code === 'too_large' ? `over ${this.opts.maxUploadBytes} bytes` : 'hash mismatch');
      throw err;
    }
    const directPath = this.directPathOf(stored.key);
    this.opts.logger.debug({ key: stored.key, size: stored.size }, 'media uploaded');
    send(res, 200, { url: `${this.url}${directPath}`, direct_path: directPath });
  }

  private async download(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const blob = this.opts.store.get('enc', key);
    if (!blob) return send(res, 404, { error: 'not found' });
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = blob.size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), blob.size - 1) : blob.size - 1;
      if (start >= blob.size || end < start) {
        res.writeHead(416, { 'content-range': `bytes */${blob.size}` }).end();
        return;
      }
    }
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' };
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${blob.size}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = blob.read(start, end);
    body.on('error', () => res.destroy());
    body.pipe(res);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
