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

export interface DevicesTable {
  id: string;
  tenant_id: string;
  name: string;
  status: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  login_failures: LoginFailuresTable;
  devices: DevicesTable;
}

/** Columns holding booleans: SQLite stores 0/1, the SQLite plugin turns them back. */
export const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(['active']);

// Generated is re-exported for later tables with database-side defaults.
export type { Generated };
