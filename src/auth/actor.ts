import type { Role } from '../db/schema.js';
import { forbidden } from '../lib/errors.js';

/** Who is calling: the platform operator (master token) or a tenant user (API token). */
export type Actor = { type: 'master' } | { type: 'user'; userId: string; tenantId: string; role: Role; email: string; tokenId: string };

export type UserActor = Extract<Actor, { type: 'user' }>;

/** Tenant-owned resources (devices, webhooks, the event stream) are used with a tenant user's token. */
export function tenantUserOf(actor: Actor, what: string): UserActor {
  if (actor.type !== 'user') throw forbidden(`${what} belong to a tenant: use a tenant user's token`, 'tenant_user_required');
  return actor;
}
