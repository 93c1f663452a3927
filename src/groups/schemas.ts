import { Type } from 'typebox';
import { NextCursor, NullableTimestamp, PageQuery, Uuid } from '../http/schemas.js';

const GROUP_EXAMPLE = '120363041234567890@g.us';

export const GroupJidSchema = Type.String({
  maxLength: 60,
  description: 'the group JID: `<digits>@g.us` (older groups `<digits>-<unix time>@g.us`)',
  examples: [GROUP_EXAMPLE],
});

export const DeviceGroupParams = Type.Object(
  { id: Uuid, group: Type.String({ maxLength: 200, description: 'the group JID', examples: [GROUP_EXAMPLE] }) },
  { additionalProperties: false },
);

const ParticipantInput = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'a phone number with the country code (+, spaces, dashes, dots and parentheses are ignored), or a user JID (`…@s.whatsapp.net`, `…@lid`)',
  examples: ['5511987654321'],
});

const Nullable = <T extends ReturnType<typeof Type.String>>(s: T) => Type.Union([s, Type.Null()]);

/** A WhatsApp user as a group names it. */
export const PersonSchema = Type.Object(
  {
    jid: Type.String({ description: 'the JID the group names the user by (a phone-number JID or a LID)', examples: ['5511987654321@s.whatsapp.net'] }),
    phone: Nullable(Type.String({ description: 'digits, when known', examples: ['5511987654321'] })),
    lid: Nullable(Type.String({ description: 'the LID, when known', examples: ['123456789012345@lid'] })),
  },
  { additionalProperties: false },
);

export const GroupRoleSchema = Type.Enum(['member', 'admin', 'superadmin'], { description: 'superadmin: the creator' });

export const MemberSchema = Type.Object({ ...PersonSchema.properties, role: GroupRoleSchema }, { additionalProperties: false });

export const EPHEMERAL_SECONDS = [0, 86_400, 604_800, 7_776_000] as const;
const Ephemeral = Type.Union(
  EPHEMERAL_SECONDS.map((s) => Type.Literal(s)),
  { description: 'disappearing messages: 0 (off), 86400 (24 h), 604800 (7 days) or 7776000 (90 days)' },
);
const MemberAddMode = Type.Enum(['admins', 'all_members'], { description: 'who may add participants' });

export const SettingsSchema = Type.Object(
  {
    announce: Type.Boolean({ description: 'only admins send messages' }),
    locked: Type.Boolean({ description: 'only admins edit the group info (subject, description, picture, disappearing messages)' }),
    ephemeral_seconds: Type.Integer({ description: 'disappearing messages timer; 0: off' }),
    member_add_mode: MemberAddMode,
    join_approval: Type.Boolean({ description: 'joining by invite link needs an admin to approve' }),
  },
  { additionalProperties: false },
);

const groupCore = {
  jid: GroupJidSchema,
  subject: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  owner: Type.Union([PersonSchema, Type.Null()], { description: 'the creator' }),
  created_at: NullableTimestamp,
  settings: SettingsSchema,
  size: Type.Integer({ description: 'participants' }),
  role: Type.Union([GroupRoleSchema, Type.Null()], { description: "the device's own role in the group" }),
};

export const GroupSummarySchema = Type.Object(groupCore, { additionalProperties: false });

export const GroupSchema = Type.Object(
  {
    ...groupCore,
    participants: Type.Array(MemberSchema),
    invite_code: Type.Optional(
      Type.Union([Type.String(), Type.Null()], { description: 'the invite code: shown when the device is an admin (null otherwise)' }),
    ),
  },
  { additionalProperties: false },
);

export const ParticipantOutcomeSchema = Type.Object(
  {
    jid: Type.String({ description: 'the participant as asked, as a JID' }),
    phone: Nullable(Type.String()),
    status: Type.Enum(
      [
        'added',
        'removed',
        'promoted',
        'demoted',
        'approved',
        'rejected',
        'privacy_refused',
        'not_on_whatsapp',
        'not_a_participant',
        'no_request',
        'already_participant',
        'not_allowed',
        'limit_reached',
        'refused',
      ],
      { description: 'what happened: done, or why WhatsApp refused it for this participant' },
    ),
    code: Type.Integer({ description: "WhatsApp's code for this participant: 200, 403 (privacy), 404, 406, 409 (already in), 500 (a limit)" }),
  },
  { additionalProperties: false },
);

export const CreateGroupBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 100, examples: ['Acme support team'] }),
    participants: Type.Array(ParticipantInput, {
      maxItems: 256,
      description: 'who to add besides the device (at most 256)',
      examples: [['5511987654321', '5511912345678@s.whatsapp.net']],
    }),
  },
  { additionalProperties: false, examples: [{ subject: 'Acme support team', participants: ['5511987654321', '5511912345678@s.whatsapp.net'] }] },
);

export const UpdateGroupBody = Type.Object(
  {
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()], { description: 'null or "" removes it' })),
    announce: Type.Optional(Type.Boolean({ description: 'only admins send messages' })),
    locked: Type.Optional(Type.Boolean({ description: 'only admins edit the group info' })),
    ephemeral_seconds: Type.Optional(Ephemeral),
    member_add_mode: Type.Optional(MemberAddMode),
    join_approval: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ subject: 'Acme support (BR)', announce: true }] },
);

export const ParticipantsBody = Type.Object(
  {
    action: Type.Enum(['add', 'remove', 'promote', 'demote']),
    participants: Type.Array(ParticipantInput, { minItems: 1, maxItems: 50, description: 'at most 50 per call' }),
  },
  { additionalProperties: false, examples: [{ action: 'add', participants: ['5511987654321'] }] },
);

export const JoinRequestsBody = Type.Object(
  {
    action: Type.Enum(['approve', 'reject']),
    participants: Type.Array(ParticipantInput, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false, examples: [{ action: 'approve', participants: ['5511987654321'] }] },
);

export const JoinBody = Type.Object(
  {
    invite: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'an invite code or link',
      examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv'],
    }),
  },
  { additionalProperties: false, examples: [{ invite: 'https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv' }] },
);

export const PictureBody = Type.Object(
  {
    data: Type.Optional(Type.String({ maxLength: 8_000_000, description: 'the image (JPEG or PNG) in base64, or as a data URL' })),
    media_id: Type.Optional(Type.String({ description: 'an image uploaded with POST /media' })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, examples: [{ media_id: '0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b' }] },
);

export const GroupListQuery = Type.Object(PageQuery, { additionalProperties: false });

const ok = Type.Literal(true);
export const GroupListResponse = Type.Object({ success: ok, groups: Type.Array(GroupSummarySchema), next_cursor: NextCursor }, { additionalProperties: false });
export const GroupResponse = Type.Object({ success: ok, group: GroupSchema }, { additionalProperties: false });
export const CreateGroupResponse = Type.Object(
  { success: ok, group: GroupSchema, participants: Type.Array(ParticipantOutcomeSchema, { description: 'one per participant asked' }) },
  { additionalProperties: false },
);
export const ParticipantsResponse = Type.Object({ success: ok, participants: Type.Array(ParticipantOutcomeSchema) }, { additionalProperties: false });
export const InviteResponse = Type.Object(
  {
    success: ok,
    invite: Type.Object(
      { code: Type.String({ examples: ['AbCdEfGhIjKlMnOpQrStUv'] }), link: Type.String({ examples: ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv'] }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export const JoinResponse = Type.Object(
  {
    success: ok,
    state: Type.Enum(['joined', 'requested'], { description: 'requested: the group needs an admin to approve' }),
    group_jid: GroupJidSchema,
    group: Type.Union([GroupSchema, Type.Null()], { description: 'the group, once joined' }),
  },
  { additionalProperties: false },
);
export const JoinRequestSchema = Type.Object(
  { ...PersonSchema.properties, method: Nullable(Type.String({ examples: ['invite_link'] })), requested_at: NullableTimestamp },
  { additionalProperties: false },
);
export const JoinRequestsResponse = Type.Object({ success: ok, requests: Type.Array(JoinRequestSchema) }, { additionalProperties: false });
export const PictureResponse = Type.Object(
  {
    success: ok,
    picture: Type.Union(
      [
        Type.Object(
          { url: Type.String({ description: "the picture on WhatsApp's servers (it expires)" }), id: Nullable(Type.String()) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'null: the group has no picture' },
    ),
  },
  { additionalProperties: false },
);

/** What every group route says about reaching WhatsApp. */
export const LIVE =
  'WUTS asks WhatsApp through the device, which must be connected (409 device_not_connected). A group the number is not in answers 404 group_not_found; WhatsApp refusing because the number is not an admin of the group, 403 not_group_admin; WhatsApp not answering, 502; WhatsApp rate limiting the number, 429.';
export const GROUP_PATH_NOTE = 'The group is named by its JID in the path: `/devices/{id}/groups/120363041234567890@g.us` (400 invalid_group otherwise).';
