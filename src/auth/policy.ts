import type { Role } from '../db/schema.js';
import { forbidden } from '../lib/errors.js';
import type { Actor } from './actor.js';

/**
 * The one place that says who may do what (product.md section 1). Default deny: an action
 * not listed for a role is refused. The master token may do everything.
 */
export type Action =
  | 'tenants.manage'
  | 'dead_letters.manage'
  | 'users.read'
  | 'users.create'
  | 'audit.read'
  | 'devices.read'
  | 'devices.manage'
  | 'devices.connect'
  | 'messages.send'
  | 'groups.read'
  | 'groups.manage'
  | 'media.upload'
  | 'media.read'
  | 'webhooks.read'
  | 'webhooks.manage';

const ALLOWED: Record<Action, readonly Role[]> = {
  'tenants.manage': [], // the platform operator's (master token) only
  'dead_letters.manage': [], // received messages that could not be stored, of every tenant: the operator's
  'users.read': ['admin', 'supervisor'],
  'users.create': ['admin', 'supervisor'],
  'audit.read': ['admin'],
  'devices.read': ['admin', 'supervisor', 'agent', 'viewer'],
  'devices.manage': ['admin'],
  'devices.connect': ['admin', 'supervisor'],
  'messages.send': ['admin', 'supervisor', 'agent'],
  'groups.read': ['admin', 'supervisor', 'agent', 'viewer'],
  'groups.manage': ['admin', 'supervisor'], // create, change, participants, invites, join, leave, picture
  'media.upload': ['admin', 'supervisor', 'agent'], // upload first, send later: who may send
  'media.read': ['admin', 'supervisor', 'agent', 'viewer'],
  'webhooks.read': ['admin', 'supervisor'],
  'webhooks.manage': ['admin'],
};

export function can(actor: Actor, action: Action): boolean {
  return actor.type === 'master' || ALLOWED[action].includes(actor.role);
}

export function authorize(actor: Actor, action: Action): void {
  if (!can(actor, action)) throw forbidden(`your role may not ${action.replace('.', ': ')}`);
}

/**
 * Which events a caller sees on the live stream, by type or family (`user.*`): the action it
 * would need to read the same thing through the API. User and tenant events are for those who
 * may read users, QR codes for those who may connect devices; the rest for every role.
 */
const EVENT_VISIBILITY: readonly { match: string; action: Action }[] = [
  { match: 'user.*', action: 'users.read' },
  { match: 'tenant.*', action: 'users.read' },
  { match: 'device.qr', action: 'devices.connect' },
];

export function canSeeEvent(actor: Actor, type: string): boolean {
  const rule = EVENT_VISIBILITY.find((r) => (r.match.endsWith('.*') ? type.startsWith(r.match.slice(0, -1)) : type === r.match));
  return can(actor, rule?.action ?? 'devices.read');
}

/** Roles a caller may manage (update, deactivate, delete) in its tenant. */
const MANAGES: Record<Role, readonly Role[]> = {
  admin: ['admin', 'supervisor', 'agent', 'viewer'],
  supervisor: ['agent', 'viewer'],
  agent: [],
  viewer: [],
};

/** Roles a caller may give, at creation or by a change of role. */
const ASSIGNS: Record<Role, readonly Role[]> = MANAGES;

export function canManageRole(actor: Actor, targetRole: Role): boolean {
  return actor.type === 'master' || MANAGES[actor.role].includes(targetRole);
}

export function canAssignRole(actor: Actor, role: Role): boolean {
  return actor.type === 'master' || ASSIGNS[actor.role].includes(role);
}

export interface UserTarget {
  id: string;
  role: Role;
}

export function authorizeUserCreate(actor: Actor, role: Role): void {
  authorize(actor, 'users.create');
  if (!canAssignRole(actor, role)) throw forbidden(`your role may not create a user with role ${role}`);
}

export function authorizeUserRead(actor: Actor, target: UserTarget): void {
  if (actor.type === 'user' && actor.userId === target.id) return;
  authorize(actor, 'users.read');
}

/** A change of `role` and/or `active`, or a deletion (`change` undefined). */
export function authorizeUserChange(actor: Actor, target: UserTarget, change?: { role?: Role | undefined }): void {
  if (actor.type === 'user' && actor.userId === target.id) throw forbidden('you may not change or delete your own user', 'self_change');
  if (!canManageRole(actor, target.role)) throw forbidden(`your role may not manage a user with role ${target.role}`);
  if (change?.role !== undefined && !canAssignRole(actor, change.role)) {
    throw forbidden(`your role may not assign the role ${change.role}`);
  }
}
