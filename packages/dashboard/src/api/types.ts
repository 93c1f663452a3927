// The API's shapes the dashboard reads (see /openapi.json for every field).

export type Role = 'admin' | 'supervisor' | 'agent' | 'viewer';

export interface User {
  id: string;
  tenant_id: string;
  email: string;
  role: Role;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export type DeviceStatus = 'created' | 'connecting' | 'qr' | 'connected' | 'disconnected' | 'logged_out' | 'failed';

export interface Device {
  id: string;
  name: string;
  status: DeviceStatus;
  reason: string | null;
  phone: string | null;
  jid: string | null;
  connected_at: string | null;
  queued_messages: number;
  created_at: string;
  updated_at: string;
}

export interface Qr {
  text: string;
  png_data_url: string;
  updated_at: string;
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled' | 'received';

export interface Message {
  id: string;
  device_id: string;
  chat_jid: string;
  wa_id: string;
  direction: 'outbound' | 'inbound';
  sender_jid: string | null;
  type: string;
  content: Record<string, unknown> | null;
  quoted_message_id: string | null;
  target_message_id: string | null;
  status: MessageStatus;
  reason: string | null;
  wa_timestamp: string | null;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Chat {
  id: string;
  device_id: string;
  jid: string;
  type: 'user' | 'group';
  phone: string | null;
  name: string | null;
  unread_count: number;
  last_message: Message;
  last_message_at: string;
}

/** One event of GET /events/stream, as delivered to webhooks. */
export interface LiveEvent {
  id: string;
  type: string;
  tenant_id: string;
  device_id: string | null;
  timestamp: string;
  data: Record<string, unknown>;
}
