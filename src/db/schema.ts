import type { Generated } from 'kysely';

/** Timestamps are RFC 3339 strings in TypeScript on both dialects (see connect.ts). */
export type Timestamp = string;

export type Role = 'admin' | 'supervisor' | 'agent' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent', 'viewer'];

export interface TenantsTable {
  id: string;
  name: string;
  /** lower(trim(name)): the uniqueness key. */
  name_key: string;
  active: boolean;
  staged_webhook_url: string | null;
  staged_webhook_id: string | null;
  /** Bytes of the tenant's stored media, each blob once (kept by the media service). */
  media_bytes: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  role: Role;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type TokenKind = 'api' | 'session';

export interface ApiTokensTable {
  id: string;
  tenant_id: string;
  user_id: string;
  kind: TokenKind;
  name: string;
  token_hash: string;
  last4: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
}

export interface AuditLogTable {
  id: string;
  tenant_id: string | null;
  actor_type: 'master' | 'user';
  actor_user_id: string | null;
  actor_email: string | null;
  actor_role: Role | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before_json: string | null;
  after_json: string | null;
  created_at: Timestamp;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  window_ends_at: Timestamp;
}

export type DeviceStatus = 'created' | 'connecting' | 'qr' | 'connected' | 'disconnected' | 'logged_out' | 'failed';

export interface DevicesTable {
  id: string;
  tenant_id: string;
  name: string;
  status: DeviceStatus;
  reason: string | null;
  phone: string | null;
  jid: string | null;
  lid: string | null;
  auto_connect: Generated<boolean>;
  qr: string | null;
  qr_updated_at: Timestamp | null;
  pairing_code: string | null;
  connected_at: Timestamp | null;
  disconnected_at: Timestamp | null;
  /** this device's pace of sending; null: the operator's setting */
  send_interval_ms: number | null;
  /** messages of the device in status queued */
  queued_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DeviceAuthCredsTable {
  device_id: string;
  tenant_id: string;
  /** Sealed with the secret key (src/lib/secret-box.ts); the Baileys creds JSON inside. */
  creds_json: string;
  updated_at: Timestamp;
  /** the WhatsApp endpoint (WebSocket URL) the session was linked on; null until a link completes */
  linked_endpoint: string | null;
}

export interface DeviceAuthKeysTable {
  device_id: string;
  tenant_id: string;
  type: string;
  key_id: string;
  /** Sealed with the secret key; the Signal key's JSON inside. */
  value_json: string;
}

export interface EventsTable {
  id: string;
  tenant_id: string;
  device_id: string | null;
  type: string;
  version: number;
  data_json: string;
  created_at: Timestamp;
}

export interface WebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types or `prefix.*` patterns; null receives every event. */
  event_types_json: string | null;
  device_id: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  /** Sealed with the secret key; the whsec_... secret inside. */
  secret: string;
  /** Sealed with the secret key, like `secret`. */
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  failing_since: Timestamp | null;
  last_success_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

export interface DeliveriesTable {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  order_key: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DeliveryAttemptsTable {
  id: string;
  tenant_id: string;
  delivery_id: string;
  attempted_at: Timestamp;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled' | 'received';

export interface MessagesTable {
  id: string;
  tenant_id: string;
  device_id: string;
  chat_jid: string;
  /** the WhatsApp message id (key.id); assigned at accept time for outbound messages */
  wa_id: string;
  from_me: boolean;
  sender_jid: string | null;
  type: string;
  content_json: string;
  quoted_wa_id: string | null;
  /** the stored message a reply quotes, when WUTS has it */
  quoted_message_id: string | null;
  /** the message a reaction, edit, delete or poll vote applies to */
  target_wa_id: string | null;
  target_message_id: string | null;
  status: MessageStatus;
  reason: string | null;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  expires_at: Timestamp | null;
  created_by: string | null;
  wa_timestamp: Timestamp | null;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** the sender's LID when known (inbound; in a group: the participant's) */
  sender_lid: string | null;
  /** a one-to-one chat: the peer's LID when known */
  chat_lid: string | null;
  /** a group message sent by the device: how many other participants it went to */
  recipient_count: number | null;
}

export interface MessageStatusesTable {
  id: string;
  tenant_id: string;
  message_id: string;
  status: MessageStatus;
  reason: string | null;
  created_at: Timestamp;
}

export interface ChatsTable {
  id: string;
  tenant_id: string;
  device_id: string;
  jid: string;
  name: string | null;
  last_message_id: string;
  last_message_at: Timestamp;
  unread_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContactsTable {
  id: string;
  tenant_id: string;
  device_id: string;
  jid: string;
  phone: string | null;
  name: string | null;
  on_whatsapp: boolean | null;
  checked_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  lid: string | null;
}

/* ---- Groups and identities (migration 0012) ---- */

/** Which LID is which phone number, as a device learned it. */
export interface WaIdentitiesTable {
  id: string;
  tenant_id: string;
  device_id: string;
  /** `digits@lid` */
  lid: string;
  /** digits */
  phone: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One participant's receipt for a group message the device sent. */
export interface MessageReceiptsTable {
  id: string;
  tenant_id: string;
  message_id: string;
  /** the participant's JID as WUTS keys users: by phone number once known */
  participant_jid: string;
  phone: string | null;
  lid: string | null;
  status: 'delivered' | 'read';
  delivered_at: Timestamp | null;
  read_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  key: string;
  request_hash: string;
  /** The result of the work the key guarded (the accepted message), as JSON. */
  result_json: string;
  created_at: Timestamp;
}

export interface InboundDeadLettersTable {
  id: string;
  tenant_id: string;
  device_id: string;
  chat_jid: string;
  wa_id: string;
  from_me: boolean;
  /** The received message in WUTS's terms (InboundMessage), as JSON. */
  message_json: string;
  /** Why the last attempt to store it failed. */
  error: string;
  attempts: number;
  created_at: Timestamp;
}

/** One value sealed with the operator's secret key: a start with another key is refused. */
export interface SecretKeyCheckTable {
  /** Always 'current'. */
  id: string;
  sealed_value: string;
  updated_at: Timestamp;
}

export type MediaState = 'stored' | 'pending' | 'failed';
export type MediaOrigin = 'upload' | 'url' | 'data' | 'inbound';

export interface MediaFilesTable {
  id: string;
  tenant_id: string;
  /** `pending`: a download to come (received media); `stored`: the bytes are in the store; `failed`: they never will be. */
  state: MediaState;
  /** Hex SHA-256 of the bytes: the blob's key is `tenants/<tenant_id>/<sha256>`. Null until stored. */
  sha256: string | null;
  size: number | null;
  mime_type: string;
  filename: string | null;
  origin: MediaOrigin;
  /** Where a pending file comes from (for received media, what WhatsApp needs to download it), as JSON. */
  source_json: string | null;
  attempts: Generated<number>;
  /** Why the last download attempt failed. */
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Null: kept until the retention (WUTS_MEDIA_RETENTION_DAYS); uploads expire after WUTS_MEDIA_UPLOAD_TTL_HOURS. */
  expires_at: Timestamp | null;
  /** Received media: the message the file belongs to. */
  message_id: string | null;
  /** Received media: when the next download attempt is due (while one runs, the downloading node's lease). */
  next_attempt_at: Timestamp | null;
}

/* ---- Account restrictions (migration 0013) ---- */

/** WhatsApp forbids the device's account to start new chats until `until` (null: not said). */
export interface DeviceRestrictionsTable {
  device_id: string;
  tenant_id: string;
  kind: 'reachout_timelock' | 'new_chat_cap';
  until: Timestamp | null;
  reason: string;
  /** WhatsApp's own word: the time-lock's enforcement type, or the cap's usage */
  detail: string | null;
  since: Timestamp;
  updated_at: Timestamp;
}

/* ---- Cluster (migration 0015) ---- */

/** A node sharing the database: its heartbeat is the database's clock in ms. */
export interface ClusterNodesTable {
  id: string;
  role: 'devices' | 'api';
  version: string;
  capacity: number;
  draining: boolean;
  started_at: Timestamp;
  heartbeat_ms: number;
}

/** Which node holds the device's WhatsApp connection (null: released), under which epoch, until when (database ms). */
export interface DeviceLeasesTable {
  device_id: string;
  tenant_id: string;
  node_id: string | null;
  epoch: number;
  expires_ms: number;
}

/** A device command handed to the node holding the device; the target writes its result. */
export interface ClusterCommandsTable {
  id: string;
  target_node: string;
  origin_node: string;
  kind: string;
  args_json: string;
  deadline_ms: number;
  result_json: string | null;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  login_failures: LoginFailuresTable;
  devices: DevicesTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  device_auth_creds: DeviceAuthCredsTable;
  device_auth_keys: DeviceAuthKeysTable;
  messages: MessagesTable;
  message_statuses: MessageStatusesTable;
  chats: ChatsTable;
  device_restrictions: DeviceRestrictionsTable;
  contacts: ContactsTable;
  idempotency_keys: IdempotencyKeysTable;
  inbound_dead_letters: InboundDeadLettersTable;
  secret_key_check: SecretKeyCheckTable;
  media_files: MediaFilesTable;
  wa_identities: WaIdentitiesTable;
  message_receipts: MessageReceiptsTable;
  cluster_nodes: ClusterNodesTable;
  device_leases: DeviceLeasesTable;
  cluster_commands: ClusterCommandsTable;
}

/** Columns holding booleans: SQLite stores 0/1, the SQLite plugin turns them back. */
export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set([
  'active',
  'enabled',
  'auto_connect',
  'user_active',
  'tenant_active',
  'from_me',
  'on_whatsapp',
  'draining',
]);
