import { Type } from 'typebox';
import { NextCursor, NullableTimestamp, PageQuery, Timestamp, Uuid, uuid } from '../http/schemas.js';
import { WRITTEN_PHONE_PATTERN } from '../lib/phone.js';
import { MESSAGE_LIMITS as L } from './limits.js';
import { SEND_MESSAGE_EXAMPLES } from './send-examples.js';

const str = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, description });

export const MEDIA_SEND_TYPES = ['image', 'video', 'audio', 'voice', 'document', 'sticker'] as const;
export const SEND_TYPES = ['text', 'location', 'contact', 'poll', 'reaction', 'edit', 'delete', ...MEDIA_SEND_TYPES] as const;

export const MediaSource = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 2048,
        pattern: '^https?://',
        description:
          'fetched by WUTS when the message is accepted: public addresses only, no redirects, within the size limit and WUTS_MEDIA_FETCH_TIMEOUT_SECONDS',
      }),
    ),
    data: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'the file in base64, or a data URL (`data:image/png;base64,...`); the request body limit (WUTS_BODY_LIMIT_BYTES) bounds it: send big files by `url` or upload them first',
      }),
    ),
    id: Type.Optional(uuid('a file uploaded with POST /media (before its upload expires)')),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'exactly one of url, data or id' },
);

export const SendMessageBody = Type.Object(
  {
    type: Type.Enum([...SEND_TYPES], { description: 'what to send; each type takes its own fields below' }),
    to: Type.Optional(
      str(
        128,
        'the recipient: a phone number with the country code (`5511987654321`; +, spaces, dashes, dots and parentheses are ignored: `+55 11 98765-4321`), a JID (`15550001111@s.whatsapp.net`, `123456789012345@lid`) or a group JID (`120363012345678901@g.us`). Required except for reaction, edit and delete, which go to the chat of their message',
      ),
    ),
    mentions: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        minItems: 1,
        maxItems: L.mentions,
        description: `text, and image, video and document with a caption: users the text mentions, as phone numbers in digits or JIDs (at most ${L.mentions}); write them in the text as @<digits> for WhatsApp to show them`,
      }),
    ),
    mention_all: Type.Optional(
      Type.Boolean({ description: "text, and image, video and document with a caption, to a group: mention every participant (WhatsApp's @all)" }),
    ),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: L.textChars, description: `text and edit: the text (at most ${L.textChars} characters)` })),
    link_preview: Type.Optional(
      Type.Boolean({ description: 'text: show a preview of the first URL in the text (fetched by WUTS at send time, public addresses only); default false' }),
    ),
    reply_to: Type.Optional(uuid('text, location, contact, poll and media: the id of a stored message of the same chat to quote (a reply)')),
    media: Type.Optional(MediaSource),
    mime_type: Type.Optional(
      Type.String({
        maxLength: 255,
        pattern: '^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*( *;.*)?$',
        description: "media: the file's MIME type; sniffed from its first bytes when absent, and a file whose bytes say otherwise is refused",
      }),
    ),
    filename: Type.Optional(str(255, 'document: the file name shown')),
    caption: Type.Optional(
      Type.String({ minLength: 1, maxLength: L.captionChars, description: `image, video, document: the caption (at most ${L.captionChars} characters)` }),
    ),
    view_once: Type.Optional(Type.Boolean({ description: 'image, video, voice: the recipient can open it once' })),
    message_id: Type.Optional(uuid('reaction, edit, delete: the id of the stored message it applies to (edit and delete: a message this device sent)')),
    emoji: Type.Optional(Type.String({ maxLength: 16, description: 'reaction: one emoji; an empty string removes the reaction' })),
    location: Type.Optional(
      Type.Object(
        {
          latitude: Type.Number({ minimum: -90, maximum: 90 }),
          longitude: Type.Number({ minimum: -180, maximum: 180 }),
          name: Type.Optional(str(L.locationTextChars, 'a place name')),
          address: Type.Optional(str(L.locationTextChars, 'an address')),
        },
        { additionalProperties: false },
      ),
    ),
    contact: Type.Optional(
      Type.Object(
        {
          name: str(256, 'the name shown'),
          phone: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{5,14}$', description: 'a phone number in digits; WUTS builds the vCard' })),
          vcard: Type.Optional(str(L.vcardChars, 'a full vCard 3.0 (BEGIN:VCARD ... END:VCARD) instead of `phone`')),
        },
        { additionalProperties: false },
      ),
    ),
    poll: Type.Optional(
      Type.Object(
        {
          name: str(L.pollNameChars, 'the question'),
          options: Type.Array(str(L.pollOptionChars, 'an option'), {
            minItems: L.pollOptions.min,
            maxItems: L.pollOptions.max,
            description: `${L.pollOptions.min} to ${L.pollOptions.max} distinct options`,
          }),
          selectable_count: Type.Optional(
            Type.Integer({ minimum: 0, maximum: L.pollOptions.max, description: 'how many options a voter may pick; 0 means any number; default 1' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    ttl_seconds: Type.Optional(
      Type.Integer({
        minimum: L.ttlSeconds.min,
        maximum: L.ttlSeconds.max,
        description: 'fail the message if it could not be sent within this time (default WUTS_MESSAGE_TTL_SECONDS)',
      }),
    ),
  },
  { additionalProperties: false, 'x-examples': SEND_MESSAGE_EXAMPLES },
);

const StatusEnum = Type.Enum(['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'received'], {
  description: 'outbound: queued → sent (server ack) → delivered → read, or failed (see `reason`) or cancelled; inbound: received, then read once marked read',
});

/** A WhatsApp user in both addressings, as far as WUTS knows them. */
export const PartySchema = Type.Object(
  {
    jid: Type.String({ description: 'the JID WUTS keys the user by: the phone-number JID once known, else the LID' }),
    phone: Type.Union([Type.String(), Type.Null()], { description: 'phone number in digits, when known' }),
    lid: Type.Union([Type.String(), Type.Null()], { description: 'the LID (`digits@lid`), when known' }),
  },
  { additionalProperties: false },
);

export const MessageSchema = Type.Object(
  {
    id: Uuid,
    device_id: Uuid,
    chat_jid: Type.String({ description: "the chat: the other party's JID" }),
    wa_id: Type.String({ description: 'the WhatsApp message id' }),
    direction: Type.Enum(['outbound', 'inbound']),
    sender_jid: Type.Union([Type.String(), Type.Null()], { description: 'inbound: who sent it (in a group: the participant)' }),
    sender: Type.Union([PartySchema, Type.Null()], { description: 'inbound: who sent it (in a group: the participant), with phone and LID when known' }),
    recipient: Type.Union([PartySchema, Type.Null()], {
      description: 'outbound to one user: the recipient, with phone and LID when known (null to a group: see `receipts` of GET /messages/{id})',
    }),
    type: Type.String({
      description: 'text, location, contact, poll, reaction, edit, delete, poll_vote, image, video, audio, document, sticker or unsupported',
    }),
    content: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: "the type's fields; null once deleted for everyone" }),
    quoted_message_id: Type.Union([Uuid, Type.Null()], { description: 'a reply: the stored message it quotes' }),
    quoted_wa_id: Type.Union([Type.String(), Type.Null()]),
    target_message_id: Type.Union([Uuid, Type.Null()], { description: 'reaction, edit, delete, poll_vote: the stored message it applies to' }),
    target_wa_id: Type.Union([Type.String(), Type.Null()]),
    status: StatusEnum,
    reason: Type.Union([Type.String(), Type.Null()], { description: 'why it failed or was cancelled' }),
    attempts: Type.Integer({ description: 'send attempts so far' }),
    wa_timestamp: NullableTimestamp,
    edited_at: NullableTimestamp,
    deleted_at: NullableTimestamp,
    expires_at: NullableTimestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const StatusHistorySchema = Type.Array(
  Type.Object({ status: StatusEnum, reason: Type.Union([Type.String(), Type.Null()]), at: Timestamp }, { additionalProperties: false }),
);

export const MessageResponse = Type.Object({ success: Type.Literal(true), message: MessageSchema }, { additionalProperties: false });
export const ReceiptSchema = Type.Object(
  {
    participant: PartySchema,
    status: Type.Enum(['delivered', 'read']),
    delivered_at: NullableTimestamp,
    read_at: NullableTimestamp,
    at: Timestamp,
  },
  { additionalProperties: false },
);

export const MessageDetailResponse = Type.Object(
  {
    success: Type.Literal(true),
    message: Type.Object(
      {
        ...MessageSchema.properties,
        status_history: StatusHistorySchema,
        recipients: Type.Union([Type.Integer(), Type.Null()], {
          description: 'outbound to a group: how many other participants it went to (the status moves to delivered, then read, once all of them have)',
        }),
        receipts: Type.Array(ReceiptSchema, { description: "outbound to a group: each participant's delivery and read, as far as they came" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export const MessageListResponse = Type.Object(
  { success: Type.Literal(true), messages: Type.Array(MessageSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const ChatSchema = Type.Object(
  {
    id: Uuid,
    device_id: Uuid,
    jid: Type.String({ description: "the chat: a user's JID (the phone-number JID once known) or a group's" }),
    type: Type.Enum(['user', 'group']),
    phone: Type.Union([Type.String(), Type.Null()], { description: 'a user: the phone number, when known' }),
    lid: Type.Union([Type.String(), Type.Null()], { description: 'a user: the LID, when known' }),
    name: Type.Union([Type.String(), Type.Null()], { description: "a user's profile name, or a group's subject, when known" }),
    unread_count: Type.Integer(),
    last_message: MessageSchema,
    last_message_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);
export const ChatListResponse = Type.Object(
  { success: Type.Literal(true), chats: Type.Array(ChatSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const ContactSchema = Type.Object(
  {
    jid: Type.String({ description: 'the phone-number JID once known, else the LID: one contact per user' }),
    phone: Type.Union([Type.String(), Type.Null()]),
    lid: Type.Union([Type.String(), Type.Null()], { description: 'the LID, when known' }),
    name: Type.Union([Type.String(), Type.Null()], { description: 'the profile name the contact sent' }),
    on_whatsapp: Type.Union([Type.Boolean(), Type.Null()], { description: 'as last checked; null: never checked' }),
    checked_at: NullableTimestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);
export const ContactListResponse = Type.Object(
  { success: Type.Literal(true), contacts: Type.Array(ContactSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const DeviceIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const ChatParams = Type.Object(
  { id: Uuid, chat: Type.String({ minLength: 1, maxLength: 128, description: "the chat's JID, or a phone number in digits" }) },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object(
  {
    ...PageQuery,
    direction: Type.Optional(
      Type.Enum(['older', 'newer'], {
        description: 'older (default): newest first, each page older than the cursor; newer: oldest first, each page newer than the cursor',
      }),
    ),
  },
  { additionalProperties: false },
);
export const ChatListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const ReadBody = Type.Object(
  {
    chat: str(128, 'the chat to mark read (every unread message in it), a JID or phone digits'),
    message_ids: Type.Optional(
      Type.Array(Uuid, { minItems: 1, maxItems: L.readIds, description: `only these received messages of the chat (at most ${L.readIds})` }),
    ),
  },
  { additionalProperties: false, examples: [{ chat: '5511987654321@s.whatsapp.net' }] },
);
export const ReadResponse = Type.Object(
  { success: Type.Literal(true), read: Type.Integer({ description: 'how many messages were marked read' }) },
  { additionalProperties: false },
);

export const CheckNumbersBody = Type.Object(
  {
    numbers: Type.Array(Type.String({ pattern: WRITTEN_PHONE_PATTERN }), {
      minItems: 1,
      maxItems: L.checkNumbers,
      description: `phone numbers with the country code (at most ${L.checkNumbers}); +, spaces, dashes, dots and parentheses are ignored (\`+55 11 98765-4321\`)`,
    }),
  },
  { additionalProperties: false, examples: [{ numbers: ['5511987654321', '5511912345678'] }] },
);
export const CheckNumbersResponse = Type.Object(
  {
    success: Type.Literal(true),
    numbers: Type.Array(
      Type.Object(
        {
          number: Type.String(),
          on_whatsapp: Type.Boolean(),
          jid: Type.Union([Type.String(), Type.Null()]),
          lid: Type.Union([Type.String(), Type.Null()], { description: "the number's LID, when WhatsApp told it" }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PresenceBody = Type.Object(
  {
    state: Type.Enum(['typing', 'recording', 'paused', 'available', 'unavailable'], {
      description: "typing, recording and paused go to one chat; available and unavailable are the account's own",
    }),
    chat: Type.Optional(str(128, 'the chat (JID or phone digits); required for typing, recording and paused')),
  },
  { additionalProperties: false, examples: [{ state: 'typing', chat: '5511987654321' }] },
);

export const SendIntervalBody = Type.Object(
  {
    send_interval_ms: Type.Union([Type.Integer({ minimum: 0, maximum: 600_000 }), Type.Null()], {
      description: "milliseconds between two sends of this device (jittered); null: the operator's WUTS_SEND_INTERVAL_MS",
    }),
  },
  { additionalProperties: false, examples: [{ send_interval_ms: 2000 }] },
);

export const SendIntervalResponse = Type.Object(
  {
    success: Type.Literal(true),
    send_interval_ms: Type.Union([Type.Integer(), Type.Null()]),
    effective_ms: Type.Integer({ description: 'the interval in force' }),
  },
  { additionalProperties: false },
);
