import { Type, type TSchema } from 'typebox';
import { UUID_PATTERN } from '../lib/ids.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../lib/pagination.js';

export const uuid = (description: string) => Type.String({ pattern: UUID_PATTERN, description });
export const Uuid = uuid('a UUID');
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 UTC', examples: ['2026-06-15T12:00:00Z'] });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const RoleSchema = Type.Enum(['admin', 'supervisor', 'agent', 'viewer'], { description: 'admin > supervisor > agent > viewer' });

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const ErrorResponse = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.String({ description: 'a human message' }),
    code: Type.String({ description: 'a stable machine code' }),
  },
  { additionalProperties: false },
);

export const SuccessOnly = Type.Object({ success: Type.Literal(true) }, { additionalProperties: false });

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      description: `page size (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE})`,
    }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
};

export const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page; null at the end' });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input',
  401: 'missing, invalid, expired or revoked token',
  403: 'authenticated but not allowed',
  404: 'not found, or not in your tenant',
  409: 'conflict',
  413: 'body too large',
  415: 'wrong content type',
  416: 'range not satisfiable (Content-Range: bytes */<size>)',
  429: 'rate limited (see Retry-After)',
  500: 'internal error (no details)',
};

/** Response schemas for the error statuses a route can answer. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const code of [...codes, 500]) out[code] = { ...ErrorResponse, description: ERROR_DESCRIPTIONS[code] ?? 'error' };
  return out;
}

/** Errors every JSON-body route can answer besides its own. */
export const BODY_ERRORS = [400, 413, 415];

type Security = { [scheme: string]: string[] }[];
export const MASTER_SECURITY: Security = [{ masterToken: [] }];
export const USER_SECURITY: Security = [{ userToken: [] }, { masterToken: [] }];
/** The metrics token, or none (loopback callers when WUTS_METRICS_TOKEN is unset). */
export const METRICS_SECURITY: Security = [{ metricsToken: [] }, {}];
export const USER_ONLY_SECURITY: Security = [{ userToken: [] }];
