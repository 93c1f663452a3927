import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';

export interface LoginCandidate {
  id: string;
  tenant_id: string;
  email: string;
  role: Role;
  active: boolean;
  password_hash: string;
  tenant_active: boolean;
}

/** Finds a user by email across tenants: logging in is how the tenant becomes known. */
export async function findLoginCandidate(db: Kysely<Database>, email: string): Promise<LoginCandidate | undefined> {
  return db
    .selectFrom('users as u')
    .innerJoin('tenants as t', 't.id', 'u.tenant_id')
    .select(['u.id', 'u.tenant_id', 'u.email', 'u.role', 'u.active', 'u.password_hash', 't.active as tenant_active'])
    .where('u.email', '=', email)
    .executeTakeFirst() as Promise<LoginCandidate | undefined>;
}
