import { Type, type TSchema } from 'typebox';
import { RoleSchema, Timestamp, Uuid } from '../http/schemas.js';
import { RestrictionSchema } from '../devices/schemas.js';
import { MessageSchema, PartySchema } from '../messages/schemas.js';
import { GroupCreatedData, GroupJoinRequestData, GroupParticipantsData, GroupUpdatedData } from '../groups/event-schemas.js';

/**
 * The event catalog: every type WUTS emits, the version of its `data` shape, and that shape.
 * A breaking change to a shape bumps its version; additions keep it.
 */
export interface EventTypeDoc {
  type: string;
  version: number;
  description: string;
  data: TSchema;
  /** Reserved types are documented and accepted in webhook filters but not emitted yet. */
  reserved?: boolean;
}

const UserData = Type.Object(
  { id: Uuid, tenant_id: Uuid, email: Type.String(), role: RoleSchema, active: Type.Boolean(), created_at: Timestamp, updated_at: Timestamp },
  { additionalProperties: false },
);

const DeviceClosedData = Type.Object({ device_id: Uuid, status: Type.String(), reason: Type.String() }, { additionalProperties: false });

const MessageData = Type.Object({ message: MessageSchema }, { additionalProperties: false });

const MessageReceivedData = Type.Object(
  {
    message: MessageSchema,
    push_name: Type.Union([Type.String(), Type.Null()], {
      description: "the sender's push name: the name they set on WhatsApp, as WhatsApp sent it with the message; null when it sent none",
    }),
  },
  { additionalProperties: false },
);

export const EVENT_TYPES: readonly EventTypeDoc[] = [
  { type: 'user.created', version: 1, description: 'a user was created in the tenant', data: UserData },
  { type: 'user.updated', version: 1, description: "a user's role or active flag changed; `data` is the user after the change", data: UserData },
  { type: 'user.deleted', version: 1, description: 'a user was deleted; `data` is the user as it was', data: UserData },
  {
    type: 'tenant.updated',
    version: 1,
    description: 'the tenant was renamed, suspended or reactivated',
    data: Type.Object({ id: Uuid, name: Type.String(), active: Type.Boolean(), updated_at: Timestamp }, { additionalProperties: false }),
  },
  {
    type: 'webhook.test',
    version: 1,
    description: 'sent by POST /webhooks/{id}/test to that webhook only',
    data: Type.Object({ webhook_id: Uuid, message: Type.String() }, { additionalProperties: false }),
  },
  {
    type: 'device.qr',
    version: 1,
    description: 'a device shows a new QR code to scan',
    data: Type.Object({ device_id: Uuid, qr: Type.String() }, { additionalProperties: false }),
  },
  {
    type: 'device.connected',
    version: 1,
    description: 'a device connected to WhatsApp',
    data: Type.Object(
      { device_id: Uuid, phone: Type.String(), jid: Type.String(), lid: Type.Union([Type.String(), Type.Null()]) },
      { additionalProperties: false },
    ),
  },
  { type: 'device.disconnected', version: 1, description: 'a connected device lost its connection, was disconnected, or failed', data: DeviceClosedData },
  { type: 'device.logged_out', version: 1, description: 'a device was unlinked, from the phone or by logout; its session is deleted', data: DeviceClosedData },
  {
    type: 'device.restricted',
    version: 1,
    description:
      "WhatsApp restricted the device's account (a reach-out time-lock, or the new-chat message cap) or renewed the restriction: it may not start new chats until `restriction.until`; messages to new chats fail with reason `account_restricted: ...`, chats it already has still work",
    data: Type.Object({ device_id: Uuid, restriction: RestrictionSchema }, { additionalProperties: false }),
  },
  {
    type: 'device.unrestricted',
    version: 1,
    description:
      "the device's account restriction ended: WhatsApp lifted it (`cause` lifted) or its time passed (expired); `restriction` is the one that ended",
    data: Type.Object({ device_id: Uuid, cause: Type.Enum(['lifted', 'expired']), restriction: RestrictionSchema }, { additionalProperties: false }),
  },
  {
    type: 'message.received',
    version: 1,
    description:
      "a device received a message (also a poll vote, type poll_vote); messages that arrived while WUTS was down come at reconnect, once each. `push_name` is the sender's WhatsApp name, null when unknown",
    data: MessageReceivedData,
  },
  {
    type: 'message.media',
    version: 1,
    description:
      "a received message's file is in WUTS's media store (`content.media.state` stored: GET /messages/{id}/media serves it) or could not be downloaded after its retries (failed); `message` is the message after the change",
    data: MessageData,
  },
  { type: 'message.sent', version: 1, description: "a queued message left: WhatsApp's server acknowledged it", data: MessageData },
  {
    type: 'message.status',
    version: 1,
    description: 'a sent message changed status: sent (server ack), delivered, read, or failed (with the reason)',
    data: Type.Object(
      {
        message_id: Uuid,
        wa_id: Type.String(),
        chat_jid: Type.String(),
        status: Type.Enum(['sent', 'delivered', 'read', 'failed', 'cancelled']),
        previous_status: Type.String(),
        reason: Type.Union([Type.String(), Type.Null()]),
      },
      { additionalProperties: false },
    ),
  },
  {
    type: 'message.receipt',
    version: 1,
    description:
      'a participant of a group got (delivered) or read a message this device sent to the group; the message itself moves to delivered (read) with `message.status` once every participant has',
    data: Type.Object(
      { message_id: Uuid, wa_id: Type.String(), chat_jid: Type.String(), participant: PartySchema, status: Type.Enum(['delivered', 'read']), at: Timestamp },
      { additionalProperties: false },
    ),
  },
  {
    type: 'message.edited',
    version: 1,
    description: 'the sender edited a message this device received; `message` is the message after the edit',
    data: Type.Object({ message: MessageSchema, previous_text: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
  },
  {
    type: 'message.deleted',
    version: 1,
    description: 'the sender deleted a message for everyone; its content is gone from WUTS too',
    data: Type.Object(
      {
        message_id: Uuid,
        wa_id: Type.String(),
        chat_jid: Type.String(),
        sender_jid: Type.Union([Type.String(), Type.Null()]),
        sender: Type.Union([PartySchema, Type.Null()], { description: 'who deleted it, with phone and LID when known' }),
      },
      { additionalProperties: false },
    ),
  },
  {
    type: 'message.reaction',
    version: 1,
    description: 'a contact reacted to a message (an empty emoji: the reaction was removed)',
    data: Type.Object(
      {
        message_id: Uuid,
        target_message_id: Type.Union([Uuid, Type.Null()]),
        target_wa_id: Type.String(),
        chat_jid: Type.String(),
        sender_jid: Type.Union([Type.String(), Type.Null()]),
        sender: Type.Union([PartySchema, Type.Null()], { description: 'who reacted, with phone and LID when known' }),
        emoji: Type.String(),
      },
      { additionalProperties: false },
    ),
  },
  {
    type: 'chat.presence',
    version: 1,
    description: 'a contact is typing, recording, paused, online or offline',
    data: Type.Object(
      {
        chat_jid: Type.String(),
        participant_jid: Type.String(),
        participant: PartySchema,
        state: Type.Enum(['available', 'unavailable', 'typing', 'recording', 'paused']),
      },
      { additionalProperties: false },
    ),
  },
  {
    type: 'group.created',
    version: 1,
    description: "the device's number is in a new group: it created it, was added to it, or joined it; `group` as WhatsApp announced it",
    data: GroupCreatedData,
  },
  {
    type: 'group.updated',
    version: 1,
    description:
      "a group's subject, description, settings (announce, locked, disappearing messages, member add mode, join approval) or picture changed; `changes` holds only what changed",
    data: GroupUpdatedData,
  },
  {
    type: 'group.participants',
    version: 1,
    description: 'participants were added, removed, promoted or demoted (with who did it), or left, or joined by an invite link',
    data: GroupParticipantsData,
  },
  {
    type: 'group.join_request',
    version: 1,
    description: 'someone asked to join a group that needs approval (the device is an admin), withdrew the request, or an admin rejected it',
    data: GroupJoinRequestData,
  },
];

export type EventType = string;

const BY_TYPE = new Map(EVENT_TYPES.map((e) => [e.type, e]));

export function eventVersion(type: string): number {
  const doc = BY_TYPE.get(type);
  if (!doc) throw new Error(`unknown event type ${type}`);
  return doc.version;
}

/** A webhook filter entry: an exact type, or a family such as `message.*`. */
export function isKnownFilter(filter: string): boolean {
  if (filter.endsWith('.*')) {
    const family = filter.slice(0, -1);
    return EVENT_TYPES.some((e) => e.type.startsWith(family));
  }
  return BY_TYPE.has(filter);
}

export function filterMatches(filters: string[] | null, type: string): boolean {
  if (!filters || filters.length === 0) return true;
  return filters.some((f) => (f.endsWith('.*') ? type.startsWith(f.slice(0, -1)) : f === type));
}

/** The envelope every event has, on webhooks and on the live stream. */
export const EventEnvelope = Type.Object(
  {
    id: Uuid,
    type: Type.String({ description: "one of the catalog's types" }),
    version: Type.Integer({ description: "the version of this type's data shape" }),
    tenant_id: Uuid,
    device_id: Type.Union([Uuid, Type.Null()]),
    timestamp: Timestamp,
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: false },
);

/** JSON schemas for the OpenAPI components: the envelope and each type's data. */
export function catalogComponents(): Record<string, unknown> {
  const out: Record<string, unknown> = { Event: EventEnvelope };
  for (const e of EVENT_TYPES) {
    const name = 'Event_' + e.type.replace(/\./g, '_');
    out[name] = {
      description: `${e.type} (version ${e.version})${e.reserved ? ' — reserved, not emitted yet' : ''}: ${e.description}`,
      allOf: [{ $ref: '#/components/schemas/Event' }, { type: 'object', properties: { type: { const: e.type }, version: { const: e.version }, data: e.data } }],
    };
  }
  return out;
}
