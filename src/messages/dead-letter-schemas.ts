import { Type } from 'typebox';
import { NextCursor, PageQuery, Timestamp, Uuid } from '../http/schemas.js';

export const DeadLetterSchema = Type.Object(
  {
    id: Uuid,
    tenant_id: Uuid,
    device_id: Uuid,
    chat_jid: Type.String(),
    wa_id: Type.String({ description: "the message's WhatsApp id" }),
    from_me: Type.Boolean(),
    error: Type.String({ description: 'why the last try to store it failed' }),
    attempts: Type.Integer({ description: 'tries before it was parked here' }),
    message: Type.Object({}, { additionalProperties: true, description: 'the received message as WUTS read it, stored again by a retry' }),
    created_at: Timestamp,
  },
  { additionalProperties: false },
);

export const DeadLetterQuery = Type.Object({ ...PageQuery, tenant_id: Type.Optional(Uuid) }, { additionalProperties: false });

export const DeadLetterListResponse = Type.Object(
  { success: Type.Literal(true), dead_letters: Type.Array(DeadLetterSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);
