import { Type } from 'typebox';
import { NextCursor, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../http/schemas.js';

export const DeviceStatusSchema = Type.Enum(['created', 'connecting', 'qr', 'connected', 'disconnected', 'logged_out', 'failed']);

export const RestrictionSchema = Type.Object(
  {
    kind: Type.Enum(['reachout_timelock', 'new_chat_cap'], {
      description: "reachout_timelock: WhatsApp's reach-out time-lock; new_chat_cap: the account used up its monthly messages to new chats",
    }),
    until: NullableTimestamp,
    reason: Type.String({ description: 'what WhatsApp restricts, in words' }),
    detail: Type.Union([Type.String(), Type.Null()], {
      description: "WhatsApp's own word: the time-lock's enforcement type (BIZ_QUALITY, ...) or the cap's usage",
    }),
    since: Timestamp,
  },
  {
    additionalProperties: false,
    description:
      'WhatsApp forbids this account to start new one-to-one chats until `until` (null: until WhatsApp lifts it). Chats it already has and groups still work; messages to new chats fail at once with a reason starting `account_restricted`.',
  },
);

export const DeviceSchema = Type.Object(
  {
    id: Uuid,
    tenant_id: Uuid,
    name: Type.String(),
    status: DeviceStatusSchema,
    reason: Type.Union([Type.String(), Type.Null()], { description: 'why the device is disconnected, logged out or failed' }),
    phone: Type.Union([Type.String(), Type.Null()], { description: "the linked account's phone number, in digits" }),
    jid: Type.Union([Type.String(), Type.Null()], { description: "the device's WhatsApp JID" }),
    lid: Type.Union([Type.String(), Type.Null()], { description: "the account's LID" }),
    connected_at: NullableTimestamp,
    disconnected_at: NullableTimestamp,
    send_interval_ms: Type.Union([Type.Integer(), Type.Null()], {
      description: "this device's pause between two sends (PUT /devices/{id}/send-interval); null: WUTS_SEND_INTERVAL_MS",
    }),
    queued_messages: Type.Integer({ description: 'messages waiting in its outbound queue' }),
    restriction: Type.Union([RestrictionSchema, Type.Null()], { description: 'the account restriction in force (device.restricted), or null' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const DeviceResponse = Type.Object({ success: Type.Literal(true), device: DeviceSchema }, { additionalProperties: false });

export const DeviceListResponse = Type.Object(
  { success: Type.Literal(true), devices: Type.Array(DeviceSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const DeviceListQuery = Type.Object({ ...PageQuery, status: Type.Optional(DeviceStatusSchema) }, { additionalProperties: false });

export const CreateDeviceBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) },
  { additionalProperties: false, examples: [{ name: 'Sales WhatsApp' }] },
);

export const ConnectBody = Type.Object(
  {
    phone_number: Type.Optional(
      Type.String({ pattern: '^[0-9]{6,15}$', description: 'link by pairing code for this number (digits, with country code) instead of a QR code' }),
    ),
  },
  {
    additionalProperties: false,
    'x-examples': {
      qr_code: { summary: 'Link by QR code', value: {} },
      pairing_code: { summary: 'Link by pairing code', value: { phone_number: '5511987654321' } },
    },
  },
);

export const QrSchema = Type.Object(
  {
    text: Type.String({ description: "the QR code's content" }),
    png_data_url: Type.String({ description: 'data:image/png;base64,...' }),
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const ConnectResponse = Type.Object(
  {
    success: Type.Literal(true),
    device: DeviceSchema,
    qr: Type.Union([QrSchema, Type.Null()], { description: 'present while the device waits to be linked by QR code' }),
    pairing_code: Type.Union([Type.String(), Type.Null()], { description: 'present when a phone_number was given: type it on the phone' }),
  },
  { additionalProperties: false },
);

export const QrResponse = Type.Object({ success: Type.Literal(true), qr: QrSchema }, { additionalProperties: false });
