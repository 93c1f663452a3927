import { Type } from 'typebox';
import { NextCursor, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../http/schemas.js';
import { EmailSchema, PasswordSchema, UserSchema } from '../users/schemas.js';

export const LoginBody = Type.Object(
  { email: EmailSchema, password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false, examples: [{ email: 'admin@acme.com.br', password: 's3nh4-f0rte' }] },
);

export const LoginResponse = Type.Object(
  {
    success: Type.Literal(true),
    user: UserSchema,
    token: Type.String({ description: 'a new session token (wuts_tok_...), shown only here' }),
    expires_at: Timestamp,
  },
  { additionalProperties: false },
);

export const MeResponse = Type.Object({ success: Type.Literal(true), user: UserSchema }, { additionalProperties: false });

export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 256 }), new_password: PasswordSchema },
  { additionalProperties: false, examples: [{ current_password: 's3nh4-f0rte', new_password: 'n0v4-s3nh4-f0rte' }] },
);

export const TokenInfoSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    kind: Type.Enum(['api', 'session'], { description: 'api: made with POST /me/tokens or at /register; session: made by POST /login' }),
    last4: Type.String({ description: 'the last 4 characters of the token' }),
    created_at: Timestamp,
    last_used_at: NullableTimestamp,
    expires_at: NullableTimestamp,
    current: Type.Boolean({ description: 'true for the token of this request' }),
  },
  { additionalProperties: false },
);

export const TokenListResponse = Type.Object(
  { success: Type.Literal(true), tokens: Type.Array(TokenInfoSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const TokenListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'omit for a token that does not expire' })),
  },
  { additionalProperties: false, examples: [{ name: 'CRM integration', expires_in_days: 90 }] },
);

export const CreateTokenResponse = Type.Object(
  {
    success: Type.Literal(true),
    token: Type.String({ description: 'the new token (wuts_tok_...): shown only here' }),
    api_token: TokenInfoSchema,
  },
  { additionalProperties: false },
);
