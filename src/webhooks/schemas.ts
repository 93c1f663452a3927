import { Type } from 'typebox';
import { NextCursor, NullableTimestamp, PageQuery, Timestamp, Uuid } from '../http/schemas.js';

const EventFilter = Type.String({ minLength: 1, maxLength: 64, description: 'an event type (`user.created`) or a family (`message.*`)' });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http(s); loopback, private, link-local and metadata addresses are refused' });
const Description = Type.String({ maxLength: 500 });

export const WebhookSchema = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    event_types: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: every event of the tenant' }),
    device_id: Type.Union([Uuid, Type.Null()], { description: 'only events of this device (null: all)' }),
    enabled: Type.Boolean(),
    disabled_reason: Type.Union([Type.String(), Type.Null()], { description: 'why WUTS disabled it (410 Gone, or failing for too long)' }),
    failing_since: NullableTimestamp,
    last_success_at: NullableTimestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const WebhookResponse = Type.Object({ success: Type.Literal(true), webhook: WebhookSchema }, { additionalProperties: false });
export const WebhookListResponse = Type.Object(
  { success: Type.Literal(true), webhooks: Type.Array(WebhookSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    description: Type.Optional(Description),
    event_types: Type.Optional(Type.Union([Type.Array(EventFilter, { minItems: 1, maxItems: 50, uniqueItems: true }), Type.Null()])),
    device_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [{ url: 'https://acme.com.br/wuts/webhook', description: 'CRM inbox', event_types: ['message.*', 'device.connected'] }],
  },
);

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    event_types: Type.Optional(Type.Union([Type.Array(EventFilter, { minItems: 1, maxItems: 50, uniqueItems: true }), Type.Null()])),
    device_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables a webhook WUTS disabled; its pending deliveries resume' })),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ event_types: ['message.received'], enabled: true }] },
);

export const SecretResponse = Type.Object(
  {
    success: Type.Literal(true),
    secret: Type.String({ description: 'whsec_...: the Standard Webhooks signing secret' }),
    previous_secret: Type.Union([Type.String(), Type.Null()], {
      description: 'after a rotation: the old secret, which also signs until previous_secret_expires_at',
    }),
    previous_secret_expires_at: NullableTimestamp,
  },
  { additionalProperties: false },
);

export const TestResponse = Type.Object({ success: Type.Literal(true), event_id: Uuid, delivery_id: Uuid }, { additionalProperties: false });

const AttemptSchema = Type.Object(
  {
    attempted_at: Timestamp,
    status_code: Type.Union([Type.Integer(), Type.Null()]),
    latency_ms: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const DeliverySchema = Type.Object(
  {
    id: Uuid,
    webhook_id: Uuid,
    event_id: Uuid,
    event_type: Type.String(),
    status: Type.Enum(['pending', 'delivering', 'succeeded', 'failed']),
    attempt_count: Type.Integer(),
    next_attempt_at: NullableTimestamp,
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    last_error: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Array(AttemptSchema, { description: 'the latest attempts, newest first (at most 10)' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const DeliveryListQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Type.Enum(['pending', 'delivering', 'succeeded', 'failed'])) },
  { additionalProperties: false },
);

export const DeliveryListResponse = Type.Object(
  { success: Type.Literal(true), deliveries: Type.Array(DeliverySchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const DeliveryResponse = Type.Object({ success: Type.Literal(true), delivery: DeliverySchema }, { additionalProperties: false });

export const WebhookListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
