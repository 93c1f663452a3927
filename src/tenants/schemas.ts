import { Type } from 'typebox';
import { NextCursor, PageQuery, Timestamp, Uuid } from '../http/schemas.js';
import { EmailSchema, PasswordSchema, UserSchema } from '../users/schemas.js';

export const TenantName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '\\S',
  description: '1 to 100 characters; unique, compared trimmed and case-insensitively',
});
export const WebhookUrl = Type.String({ minLength: 1, maxLength: 2048, description: 'an http(s) URL without credentials' });

const SEED_REQUEST = {
  tenant_name: 'Acme Atendimento',
  email: 'admin@acme.com.br',
  password: 's3nh4-f0rte',
  role: 'admin',
  webhook_url: 'https://acme.com.br/wuts/webhook',
};

const SEED_RESPONSE = {
  success: true,
  user: {
    id: '8f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f',
    tenant_id: '1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
    email: 'admin@acme.com.br',
    role: 'admin',
    token: 'wuts_tok_3EB0A1B2C3D4E5F6',
    active: true,
    created_at: '2026-06-15T12:00:00Z',
    updated_at: '2026-06-15T12:00:00Z',
  },
  tenant: { id: '1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d', name: 'Acme Atendimento', created_at: '2026-06-15T12:00:00Z', updated_at: '2026-06-15T12:00:00Z' },
  token: 'wuts_tok_3EB0A1B2C3D4E5F6',
  webhook_configured: true,
  webhook_url: 'https://acme.com.br/wuts/webhook',
  note: 'Webhook will be auto-configured when WhatsApp device is connected',
};

export const RegisterBody = Type.Object(
  {
    tenant_name: TenantName,
    email: EmailSchema,
    password: PasswordSchema,
    role: Type.Optional(Type.Enum(['admin', 'supervisor', 'agent', 'viewer'], { description: 'ignored: the first user of a tenant is always admin' })),
    webhook_url: Type.Optional(WebhookUrl),
  },
  { additionalProperties: false, examples: [SEED_REQUEST] },
);

export const RegisterResponse = Type.Object(
  {
    success: Type.Literal(true),
    // The seed's field order: id, tenant_id, email, role, token, active, created_at, updated_at.
    user: Type.Object(
      {
        id: UserSchema.properties.id,
        tenant_id: UserSchema.properties.tenant_id,
        email: UserSchema.properties.email,
        role: UserSchema.properties.role,
        token: Type.String({ description: 'the same token as `token`' }),
        active: UserSchema.properties.active,
        created_at: UserSchema.properties.created_at,
        updated_at: UserSchema.properties.updated_at,
      },
      { additionalProperties: false },
    ),
    tenant: Type.Object({ id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp }, { additionalProperties: false }),
    token: Type.String({ description: "the admin's API token (wuts_tok_...), shown only here" }),
    webhook_configured: Type.Boolean({ description: 'true when a webhook URL was staged' }),
    webhook_url: Type.Union([Type.String(), Type.Null()]),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false, examples: [SEED_RESPONSE] },
);

export const TenantSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    active: Type.Boolean({ description: 'false while suspended' }),
    staged_webhook_url: Type.Union([Type.String(), Type.Null()], { description: 'the webhook URL given at /register, not yet activated' }),
    user_count: Type.Integer(),
    device_count: Type.Integer(),
    connected_device_count: Type.Integer(),
    media_bytes: Type.Integer({ description: 'bytes of stored media, identical files counted once (what WUTS_MEDIA_QUOTA_BYTES_PER_TENANT limits)' }),
    media_files: Type.Integer({ description: 'stored media files (uploads, sent and received media)' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);

export const TenantResponse = Type.Object({ success: Type.Literal(true), tenant: TenantSchema }, { additionalProperties: false });

export const ListTenantsQuery = Type.Object(
  {
    ...PageQuery,
    name_prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'case-insensitive prefix of the name' })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const TenantListResponse = Type.Object(
  { success: Type.Literal(true), tenants: Type.Array(TenantSchema), next_cursor: NextCursor },
  { additionalProperties: false },
);

export const UpdateTenantBody = Type.Object(
  {
    name: Type.Optional(TenantName),
    active: Type.Optional(Type.Boolean({ description: 'false suspends the tenant: its users get 403' })),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ name: 'Acme Atendimento Ltda' }] },
);
