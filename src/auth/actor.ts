import type { Role } from '../db/schema.js';

/** Who is calling: the platform operator (master token) or a tenant user (API token). */
export type Actor =
  | { type: 'master' }
  | { type: 'user'; userId: string; tenantId: string; role: Role; email: string; tokenId: string };

export type UserActor = Extract<Actor, { type: 'user' }>;

export function isMaster(actor: Actor): actor is { type: 'master' } {
  return actor.type === 'master';
}
