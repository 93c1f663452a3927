import type { Role } from '../api/types';
import type { Session } from './session';

/**
 * What the dashboard offers to each role, mirroring the server's policy (src/auth/policy.ts).
 * The server still decides: this only hides what would be refused.
 */
export type Ability =
  | 'devices.read'
  | 'devices.manage'
  | 'devices.connect'
  | 'messages.send'
  | 'contacts.read'
  | 'users.read'
  | 'users.create'
  | 'webhooks.read'
  | 'webhooks.manage'
  | 'tokens.own'
  | 'audit.read'
  | 'tenants.manage';

const ALL: readonly Role[] = ['admin', 'supervisor', 'agent', 'viewer'];

const ROLES: Record<Ability, readonly Role[]> = {
  'devices.read': ALL,
  'devices.manage': ['admin'],
  'devices.connect': ['admin', 'supervisor'],
  'messages.send': ['admin', 'supervisor', 'agent'],
  'contacts.read': ALL,
  'users.read': ['admin', 'supervisor'],
  'users.create': ['admin', 'supervisor'],
  'webhooks.read': ['admin', 'supervisor'],
  'webhooks.manage': ['admin'],
  'tokens.own': ALL,
  'audit.read': ['admin'],
  'tenants.manage': [],
};

/** The operator's side of the dashboard is the platform (tenants); tenant pages are for tenant users. */
export function can(session: Session | null, ability: Ability): boolean {
  if (!session) return false;
  if (session.kind === 'operator') return ability === 'tenants.manage';
  return ROLES[ability].includes(session.user.role);
}

/** Roles a user may manage (change, deactivate, delete) and give, as src/auth/policy.ts MANAGES. */
const MANAGES: Record<Role, readonly Role[]> = {
  admin: ALL,
  supervisor: ['agent', 'viewer'],
  agent: [],
  viewer: [],
};

/** The roles this session may give to a new user or by a change of role (none for the operator here). */
export function assignableRoles(session: Session | null): readonly Role[] {
  return session?.kind === 'user' ? MANAGES[session.user.role] : [];
}

/** Whether this session may change, deactivate or delete a user of that role (never itself). */
export function canManageUser(session: Session | null, target: { id: string; role: Role }): boolean {
  if (session?.kind !== 'user' || session.user.id === target.id) return false;
  return MANAGES[session.user.role].includes(target.role);
}
