import { Type } from 'typebox';
import { NextCursor, PageQuery, RoleSchema, Timestamp, Uuid } from '../http/schemas.js';

const Snapshot = Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]);

export const AuditEntrySchema = Type.Object(
  {
    id: Uuid,
    tenant_id: Type.Union([Uuid, Type.Null()], { description: 'null for platform-level entries (a tenant created or deleted)' }),
    actor: Type.Object(
      {
        type: Type.Enum(['master', 'user']),
        user_id: Type.Union([Uuid, Type.Null()]),
        email: Type.Union([Type.String(), Type.Null()]),
        role: Type.Union([RoleSchema, Type.Null()]),
      },
      { additionalProperties: false },
    ),
    action: Type.String({ examples: ['user.update'] }),
    target_type: Type.String(),
    target_id: Type.Union([Uuid, Type.Null()]),
    before: Snapshot,
    after: Snapshot,
    created_at: Timestamp,
  },
  { additionalProperties: false },
);

export const AuditQuery = Type.Object(
  {
    ...PageQuery,
    tenant_id: Type.Optional(Uuid),
    action: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const AuditListResponse = Type.Object(
  { success: Type.Literal(true), entries: Type.Array(AuditEntrySchema), next_cursor: NextCursor },
  { additionalProperties: false },
);
