import { Type } from 'typebox';
import { NullableTimestamp, Uuid } from '../http/schemas.js';

export const MediaSchema = Type.Object(
  {
    id: Uuid,
    mime_type: Type.String({ description: 'what the bytes are: the declared type once checked against them (parameters kept), else the sniffed one' }),
    size: Type.Integer({ description: 'bytes' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 of the bytes (also the ETag of the content)' }),
    filename: Type.Union([Type.String(), Type.Null()]),
    expires_at: Type.Union([NullableTimestamp], {
      description: 'when the id stops working (uploads: WUTS_MEDIA_UPLOAD_TTL_HOURS after the upload); null: kept until the retention',
    }),
  },
  { additionalProperties: false },
);

export const MediaResponse = Type.Object({ success: Type.Literal(true), media: MediaSchema }, { additionalProperties: false });

export const UploadQuery = Type.Object(
  {
    filename: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: "the file's name (a raw body has none; for multipart it replaces the part's)" }),
    ),
  },
  { additionalProperties: false },
);

/**
 * POST /media's body as the OpenAPI document describes it, for readers and the reference's
 * "Test Request" (the route itself reads the body as a stream; no schema validates it).
 */
export const UPLOAD_BODY_DOCUMENTED = {
  content: {
    'multipart/form-data': {
      schema: Type.Object({ file: Type.String({ format: 'binary', description: "the file; its part's type and file name are used" }) }),
    },
    'application/octet-stream': {
      schema: Type.String({ format: 'binary', description: 'the file itself, sent with its own Content-Type (image/jpeg, application/pdf, ...)' }),
    },
  },
};

export const BinaryContent = Type.String({ description: "the file's bytes, or the range asked for", contentEncoding: 'binary' });

/** The answers of a route that streams a media file (http/media-stream.ts), besides its errors. */
export const MEDIA_CONTENT_RESPONSES = {
  200: { description: 'the whole file', content: { 'application/octet-stream': { schema: BinaryContent } } },
  206: { description: 'the range asked for', content: { 'application/octet-stream': { schema: BinaryContent } } },
  304: { description: 'not modified (If-None-Match named the ETag)', content: { 'application/octet-stream': { schema: BinaryContent } } },
};
