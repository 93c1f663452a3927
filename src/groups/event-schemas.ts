import { Type } from 'typebox';
import { GroupJidSchema, GroupSchema, PersonSchema } from './schemas.js';

/** The `data` of the group.* events (src/events/catalog.ts). Every party carries its phone and LID when known. */
const Author = Type.Union([PersonSchema, Type.Null()], { description: 'who did it, when WhatsApp says' });

export const GroupCreatedData = Type.Object(
  {
    group_jid: GroupJidSchema,
    group: GroupSchema,
    author: Author,
  },
  { additionalProperties: false },
);

export const GroupUpdatedData = Type.Object(
  {
    group_jid: GroupJidSchema,
    author: Author,
    changes: Type.Object(
      {
        subject: Type.Optional(Type.String()),
        description: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'null: removed' })),
        announce: Type.Optional(Type.Boolean()),
        locked: Type.Optional(Type.Boolean()),
        ephemeral_seconds: Type.Optional(Type.Integer()),
        member_add_mode: Type.Optional(Type.Enum(['admins', 'all_members'])),
        join_approval: Type.Optional(Type.Boolean()),
        picture: Type.Optional(Type.Enum(['set', 'removed'])),
      },
      { additionalProperties: false, description: 'only what changed' },
    ),
  },
  { additionalProperties: false },
);

export const GroupParticipantsData = Type.Object(
  {
    group_jid: GroupJidSchema,
    author: Author,
    action: Type.Enum(['added', 'removed', 'promoted', 'demoted', 'left', 'joined'], { description: 'joined: by an invite link (or an approved request)' }),
    participants: Type.Array(PersonSchema),
  },
  { additionalProperties: false },
);

export const GroupJoinRequestData = Type.Object(
  {
    group_jid: GroupJidSchema,
    author: Author,
    participant: PersonSchema,
    action: Type.Enum(['created', 'revoked', 'rejected'], { description: 'created: asked to join; revoked: withdrawn by the asker; rejected: by an admin' }),
    method: Type.Union([Type.String(), Type.Null()], { description: 'how the request came, e.g. invite_link' }),
  },
  { additionalProperties: false },
);
