import { Type } from 'typebox';
import { NextCursor, PageQuery, RoleSchema, Timestamp, Uuid, uuid } from '../http/schemas.js';

export const EmailSchema = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const PasswordSchema = Type.String({ minLength: 8, maxLength: 256, description: '8 to 256 characters' });

/** A user as the API shows it: never a password hash, never a token. */
export const UserSchema = Type.Object(
  {
    id: Uuid,
    tenant_id: Uuid,
    email: Type.String(),
    role: RoleSchema,
    active: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const UserResponse = Type.Object({ success: Type.Literal(true), user: UserSchema }, { additionalProperties: false });

export const CreateUserBody = Type.Object(
  {
    email: EmailSchema,
    password: PasswordSchema,
    role: RoleSchema,
    tenant_id: Type.Optional(uuid('the tenant of the new user: required for the master token, refused for tenant users')),
  },
  { additionalProperties: false, examples: [{ email: 'maria@acme.com.br', password: 'm4ria-s3nh4', role: 'agent' }] },
);

export const UpdateUserBody = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    role: Type.Optional(RoleSchema),
  },
  { additionalProperties: false, minProperties: 1, description: '`active` and/or `role`; nothing else', examples: [{ role: 'supervisor' }] },
);

export const ListUsersQuery = Type.Object(
  {
    ...PageQuery,
    role: Type.Optional(RoleSchema),
    active: Type.Optional(Type.Boolean()),
    tenant_id: Type.Optional(uuid('master token only: the tenant to list')),
  },
  { additionalProperties: false },
);

export const UserListResponse = Type.Object(
  { success: Type.Literal(true), users: Type.Array(UserSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);
