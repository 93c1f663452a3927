import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ByteRange } from '../media/store.js';

/** What answering a media file's bytes needs to know of it. */
export interface MediaContent {
  mime_type: string;
  /** The whole file's size, in bytes. */
  size: number;
  /** Hex SHA-256 of the bytes: the (strong) ETag. */
  sha256: string;
  filename: string | null;
}

export type RangeRequest = { kind: 'whole' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' };

/**
 * A `Range` header against a file of `size` bytes (RFC 9110 14.2): one `bytes=` range (`a-b`,
 * `a-`, `-n`), clamped to the file. A header that is not a single bytes range is ignored (the
 * whole file is answered, as the RFC allows); a range starting past the end, or any range of an
 * empty file, is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || (m[2] !== '' && Number(m[2]) < start)) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start, end } };
}

/** `attachment`, with the file name as ASCII and as UTF-8 (RFC 6266), when there is one. */
export function contentDisposition(filename: string | null): string {
  if (!filename) return 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/**
 * Answers a media file's bytes (GET /media/{id}/content; GET /messages/{id}/media too): 200 with
 * the whole file, or 206 with `Content-Range` for a `Range` request, 416 (with
 * `Content-Range: bytes *\/size` and the error envelope) for an unsatisfiable one, 304 when
 * `If-None-Match` names its ETag. `If-Range` with another ETag gets the whole file. Headers:
 * Content-Type, Content-Length, ETag (`"<sha256>"`), Accept-Ranges, Content-Disposition
 * (`attachment`: a browser never renders what a tenant's contact sent), a sandboxing
 * Content-Security-Policy and `Cache-Control: private, no-cache`.
 *
 * `open` is called only when bytes are sent, with the range to read (undefined: all of it).
 */
export async function sendMediaContent(
  req: FastifyRequest,
  reply: FastifyReply,
  media: MediaContent,
  open: (range?: ByteRange) => Promise<Readable>,
): Promise<FastifyReply> {
  const etag = `"${media.sha256}"`;
  reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'private, no-cache')
    .header('content-security-policy', "sandbox; default-src 'none'");
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, etag)) return reply.code(304).send();

  const ifRange = [req.headers['if-range']].flat()[0];
  const rangeHeader = ifRange !== undefined && ifRange.trim() !== etag ? undefined : req.headers.range;
  const wanted = parseRange(rangeHeader, media.size);
  if (wanted.kind === 'unsatisfiable') {
    return reply
      .code(416)
      .header('content-range', `bytes */${media.size}`)
      .send({ success: false, error: `the range is outside the file's ${media.size} bytes`, code: 'range_not_satisfiable' });
  }
  const range = wanted.kind === 'range' ? wanted.range : undefined;
  const stream = await open(range);
  reply
    .type(media.mime_type)
    .header('content-disposition', contentDisposition(media.filename))
    .header('content-length', String(range ? range.end - range.start + 1 : media.size));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${media.size}`);
  return reply.send(stream);
}
