import { Type } from 'typebox';
import { LIMITS } from '../model.js';
import { SendBody } from './message-schemas.js';
import { Phone } from './schemas.js';

export const GroupParam = Type.String({
  pattern: '^[0-9]{6,32}(-[0-9]{1,20})?(@g\\.us)?$',
  description: 'the group: its jid (120363012345678901@g.us) or the digits before @g.us',
});
export const GroupParams = Type.Object({ phone: Phone, group: GroupParam });

const Phones = (description: string) => Type.Array(Phone, { minItems: 1, maxItems: LIMITS.groupParticipants, description });
const Subject = Type.String({
  minLength: 1,
  maxLength: LIMITS.groupSubjectChars,
  description: `the group's name (1 to ${LIMITS.groupSubjectChars} characters)`,
});
const AddressingMode = Type.Union([Type.Literal('lid'), Type.Literal('pn')], {
  description: 'how the group names its members on the wire: lid (LIDs, as WhatsApp creates groups today; the default) or pn (phone-number jids)',
});
const Role = Type.Union([Type.Literal('superadmin'), Type.Literal('admin'), Type.Literal('member')], { description: 'superadmin: the creator' });

export const GroupParticipant = Type.Object({
  phone: Type.String(),
  jid: Type.String({ description: 'phone-number jid' }),
  lid: Type.String({ description: 'LID jid' }),
  role: Role,
  joined_at: Type.String(),
});

export const JoinRequest = Type.Object({
  phone: Type.String(),
  method: Type.Literal('invite_link'),
  requested_at: Type.String(),
});

export const Group = Type.Object({
  id: Type.String({ description: 'the group jid, <digits>@g.us' }),
  subject: Type.String(),
  subject_owner: Type.String({ description: 'phone of who set the subject' }),
  subject_time: Type.String(),
  description: Type.Union([Type.Object({ id: Type.String(), text: Type.String(), owner: Type.String(), time: Type.String() }), Type.Null()]),
  owner: Type.String({ description: 'phone of the creator' }),
  created_at: Type.String(),
  addressing_mode: AddressingMode,
  size: Type.Integer(),
  participants: Type.Array(GroupParticipant),
  announce: Type.Boolean({ description: 'only admins send messages' }),
  locked: Type.Boolean({ description: 'only admins edit the group info (subject, description, disappearing messages)' }),
  ephemeral: Type.Integer({ description: 'disappearing messages, seconds; 0 = off' }),
  member_add_mode: Type.Union([Type.Literal('admin_add'), Type.Literal('all_member_add')]),
  join_approval: Type.Boolean({ description: 'joining by invite link needs an admin to approve' }),
  picture: Type.Union(
    [
      Type.Object({ id: Type.String(), set_by: Type.String({ description: 'phone of who set it' }), set_at: Type.String(), bytes: Type.Integer() }),
      Type.Null(),
    ],
    {
      description: "the group's picture (set by a client with w:profile:picture), or null",
    },
  ),
  invite_code: Type.Optional(Type.String({ description: 'admins only' })),
  pending_requests: Type.Optional(Type.Array(JoinRequest, { description: 'admins only: requests to join waiting for approval' })),
});

export const ParticipantOutcome = Type.Object({
  phone: Type.String(),
  code: Type.Integer({
    description:
      '200 done; 403 the user’s privacy ("who can add me to groups") refuses this adder; 404 no such account (not on WhatsApp), not a participant, or no pending request; ' +
      '406 the creator cannot be removed or demoted by another admin; 409 already a participant; 500 the group is full or the user is in too many groups',
  }),
  status: Type.Union(['ok', 'privacy_refused', 'not_found', 'not_acceptable', 'already_participant', 'limit_reached', 'error'].map((s) => Type.Literal(s))),
});

export const CreateGroupBody = Type.Object(
  {
    subject: Subject,
    participants: Type.Array(Phone, { maxItems: LIMITS.groupParticipants - 1, description: 'phone numbers to add besides the creator' }),
    addressing_mode: Type.Optional(AddressingMode),
  },
  { additionalProperties: false },
);

export const ParticipantsBody = Type.Object(
  {
    action: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('promote'), Type.Literal('demote')]),
    participants: Phones('phone numbers'),
  },
  { additionalProperties: false },
);

export const UpdateGroupBody = Type.Object(
  {
    subject: Type.Optional(Subject),
    description: Type.Optional(
      Type.Union([Type.String({ maxLength: LIMITS.groupDescriptionChars }), Type.Null()], { description: 'the new description; null or "" removes it' }),
    ),
    announce: Type.Optional(Type.Boolean({ description: 'only admins send (admins only)' })),
    locked: Type.Optional(Type.Boolean({ description: 'only admins edit the group info (admins only)' })),
    ephemeral: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 31_536_000, description: 'disappearing messages, seconds (WhatsApp: 86400, 604800, 7776000); 0 = off' }),
    ),
    member_add_mode: Type.Optional(
      Type.Union([Type.Literal('admin_add'), Type.Literal('all_member_add')], { description: 'who may add participants (admins only)' }),
    ),
    join_approval: Type.Optional(Type.Boolean({ description: 'joining by invite link needs an admin’s approval (admins only)' })),
  },
  { additionalProperties: false },
);

export const JoinBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'the invite code (of https://chat.whatsapp.com/<code>)' }) },
  { additionalProperties: false },
);

export const RequestsActionBody = Type.Object(
  { action: Type.Union([Type.Literal('approve'), Type.Literal('reject')]), participants: Phones('phone numbers of the requesters') },
  { additionalProperties: false },
);

const { to: _to, quoted_id: _q, unchecked_quoted_id: _u, ...sendFields } = SendBody.properties;
export const GroupSendBody = Type.Object(
  {
    ...sendFields,
    mentions: Type.Optional(
      Type.Array(Phone, {
        maxItems: LIMITS.mentions,
        description:
          'phone numbers (emulator accounts) the message mentions (contextInfo.mentionedJid; LIDs in a LID group); the text should name them, e.g. "@15550001111"',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PrivacyBody = Type.Object(
  {
    group_add: Type.Union([Type.Literal('everyone'), Type.Literal('contacts'), Type.Literal('nobody')], {
      description:
        'who may add the account to groups: everyone, its contacts only, nobody (others get the per-participant error 403 and may send an invite link instead)',
    }),
    contacts: Type.Optional(
      Type.Array(Phone, { maxItems: LIMITS.contactsPerAccount, description: 'the account’s contacts (phone numbers); replaces the list' }),
    ),
  },
  { additionalProperties: false },
);

export const Privacy = Type.Object({
  group_add: Type.Union([Type.Literal('everyone'), Type.Literal('contacts'), Type.Literal('nobody')]),
  contacts: Type.Array(Type.String()),
});
