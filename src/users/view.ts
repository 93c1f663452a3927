import type { Static } from 'typebox';
import { apiTime } from '../lib/time.js';
import type { PublicUserRow } from './repo.js';
import type { UserSchema } from './schemas.js';

export type ApiUser = Static<typeof UserSchema>;

export function toApiUser(row: PublicUserRow): ApiUser {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    email: row.email,
    role: row.role,
    active: row.active,
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
  };
}

/** Emails are compared and stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
