import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { errorResponses, IdParams, USER_SECURITY } from '../http/schemas.js';
import { sendMediaContent } from '../http/media-stream.js';
import { AppError, badRequest } from '../lib/errors.js';
import { MEDIA_CONTENT_RESPONSES, MediaResponse, UPLOAD_BODY_DOCUMENTED, UploadQuery } from './schemas.js';
import { getMedia, uploadMedia } from './service.js';

const tags = ['media'];

/** What a multipart upload may carry besides its one file: a few small fields, which are ignored. */
const MULTIPART_LIMITS = { files: 1, fields: 10, fieldSize: 1024, fieldNameSize: 100, parts: 11, headerPairs: 100 };

export async function registerMediaRoutes(app: App, deps: Deps): Promise<void> {
  // POST /media reads its body as a stream, in a scope of its own: the JSON parser and the
  // body limit (WUTS_BODY_LIMIT_BYTES) of every other route stay as they are.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    // Any type but multipart: the body is the file. The parser reads nothing (the request is the
    // stream), so WUTS_MEDIA_MAX_UPLOAD_BYTES, not the body limit, bounds it.
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    await scope.register(multipart, { limits: { ...MULTIPART_LIMITS, fileSize: deps.config.mediaMaxUploadBytes + 1 }, throwFileSizeLimit: false });

    scope.post(
      '/media',
      {
        schema: {
          summary: 'Upload a media file (upload first, send later)',
          description: [
            'Admins, supervisors and agents (those who send messages). The body is the file itself with its `Content-Type` (and `?filename=`),',
            'or `multipart/form-data` with one file part (its type and file name are used; up to 10 small fields are ignored).',
            'The bytes are streamed to the media store, hashed (SHA-256) and checked against the declared type:',
            'bytes that are something else answer 400 `media_type_mismatch` (types that cannot be recognised from the bytes, such as text/plain, pass as declared;',
            'without a type, or with application/octet-stream, the recognised type is used). An empty file answers 400 `media_empty`.',
            'Larger than WUTS_MEDIA_MAX_UPLOAD_BYTES: 413 `media_too_large`. A file the tenant does not already have that would take it past',
            'WUTS_MEDIA_QUOTA_BYTES_PER_TENANT: 413 `media_quota_exceeded` (identical files are stored once and counted once).',
            'A 503 `media_store_conflict` means the same bytes were being deleted from the store at that very moment (a retention sweep): send the file again.',
            'The id answered is used as `media: {"id": ...}` in a message and works for WUTS_MEDIA_UPLOAD_TTL_HOURS (`expires_at`); then it answers 404.',
            'Large files over slow links need a larger WUTS_REQUEST_TIMEOUT_SECONDS.',
          ].join(' '),
          tags,
          security: USER_SECURITY,
          querystring: UploadQuery,
          response: { 201: MediaResponse, ...errorResponses(400, 401, 403, 413, 415, 503) },
        },
        config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: UPLOAD_BODY_DOCUMENTED }, url }) },
      },
      async (req, reply) => {
        const actor = await requireActor(deps, req);
        let source: Readable;
        let declaredMimeType: string | undefined;
        let filename = req.query.filename;
        if (req.isMultipart()) {
          const part = await req.file({ limits: { ...MULTIPART_LIMITS, fileSize: deps.config.mediaMaxUploadBytes + 1 } }).catch((err: unknown) => {
            // busboy's own errors (no boundary, a malformed part): the client's body, not a fault of ours
            throw badRequest(`the multipart body cannot be read: ${err instanceof Error ? err.message : String(err)}`, 'invalid_multipart');
          });
          if (!part) throw badRequest('the multipart body has no file part', 'media_file_missing');
          source = part.file;
          declaredMimeType = part.mimetype || undefined;
          filename ??= part.filename || undefined;
        } else {
          source = req.raw;
          declaredMimeType = req.headers['content-type'];
        }
        const multipartFile = source === req.raw ? undefined : source;
        const media = await uploadMedia(deps, actor, source, { declaredMimeType, filename }).catch((err: unknown) => {
          // the file part ended before its boundary: the client's body was broken, not the store
          const broken = multipartFile?.errored;
          if (broken && !(err instanceof AppError)) throw badRequest(`the multipart body cannot be read: ${broken.message}`, 'invalid_multipart');
          throw err;
        });
        return reply.code(201).send({ success: true as const, media });
      },
    );
  });

  app.get(
    '/media/:id',
    {
      schema: {
        summary: 'A media file',
        description: "Every role. The file's type, size, SHA-256, name and expiry. Another tenant's id, and an expired upload id, answer 404.",
        tags,
        security: USER_SECURITY,
        params: IdParams,
        response: { 200: MediaResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { media } = await getMedia(deps, await requireActor(deps, req), req.params.id);
      return { success: true as const, media };
    },
  );

  app.get(
    '/media/:id/content',
    {
      schema: {
        summary: "A media file's bytes",
        description: [
          'Every role. The bytes with their Content-Type, Content-Length, ETag (`"<sha256>"`) and Content-Disposition (attachment, with the file name).',
          'One `Range: bytes=a-b` (also `a-` and `-n`) answers 206 with Content-Range; a range past the end answers 416 with `Content-Range: bytes */<size>`;',
          'other Range headers are ignored. `If-None-Match` with the ETag answers 304; `If-Range` with another ETag answers the whole file.',
          "Another tenant's id, and an expired upload id, answer 404.",
        ].join(' '),
        tags,
        security: USER_SECURITY,
        params: IdParams,
        response: {
          ...MEDIA_CONTENT_RESPONSES,
          ...errorResponses(400, 401, 403, 404, 416),
        },
      },
    },
    async (req, reply) => {
      const { media, open } = await getMedia(deps, await requireActor(deps, req), req.params.id);
      return sendMediaContent(req, reply, media, open);
    },
  );
}
