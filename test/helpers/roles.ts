import type { Role } from '../../src/db/schema.js';

/**
 * product.md section 1, restated independently of src/auth/policy.ts so the tests check the
 * implementation against the contract rather than against itself.
 */
export const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent', 'viewer'];
export type ActorKind = 'master' | Role;
export const ACTORS: readonly ActorKind[] = ['master', ...ROLES];

/** May `actor` manage (update, deactivate, delete) a user whose role is `target`? */
export function mayManage(actor: ActorKind, target: Role): boolean {
  if (actor === 'master' || actor === 'admin') return true;
  if (actor === 'supervisor') return target === 'agent' || target === 'viewer';
  return false;
}

/** May `actor` give `role`, at creation or by a change of role? */
export function mayAssign(actor: ActorKind, role: Role): boolean {
  return mayManage(actor, role);
}

/** May `actor` change a user from role `from` to role `to`? Both halves of the transition. */
export function mayChangeRole(actor: ActorKind, from: Role, to: Role): boolean {
  return mayManage(actor, from) && mayAssign(actor, to);
}

/** May `actor` read another user of its tenant (GET /users/{id}, GET /users)? */
export function mayRead(actor: ActorKind): boolean {
  return actor === 'master' || actor === 'admin' || actor === 'supervisor';
}
