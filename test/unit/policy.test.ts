import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.js';
import {
  authorize,
  authorizeUserChange,
  authorizeUserCreate,
  authorizeUserRead,
  can,
  canAssignRole,
  canManageRole,
  canSeeEvent,
  type Action,
} from '../../src/auth/policy.js';
import type { Role } from '../../src/db/schema.js';
import { EVENT_TYPES } from '../../src/events/catalog.js';
import { AppError } from '../../src/lib/errors.js';

// Every expectation below is written from product.md section 1 and the README (roles, audit,
// devices, live stream), never computed by src/auth/policy.ts.

type Who = 'master' | Role;
const WHO: readonly Who[] = ['master', 'admin', 'supervisor', 'agent', 'viewer'];

const MASTER: Actor = { type: 'master' };
const userActor = (role: Role, userId = `user-${role}`): Actor => ({
  type: 'user',
  userId,
  tenantId: 'tenant-1',
  role,
  email: `${role}@example.test`,
  tokenId: `token-${role}`,
});
const actorOf = (who: Who): Actor => (who === 'master' ? MASTER : userActor(who));

/** The error a call throws, as a plain value (or 'no error'), so a test compares all of it. */
function errorOf(fn: () => void): { class: string; statusCode: number; code: string; message: string; headers: Record<string, string> } | 'no error' {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { class: 'AppError', statusCode: err.statusCode, code: err.code, message: err.message, headers: err.headers };
  }
  return 'no error';
}
const forbidden = (message: string, code = 'forbidden') => ({ class: 'AppError', statusCode: 403, code, message, headers: {} });

const Y = true;
const N = false;

/**
 * product.md's table: tenants (and the dead-letter table of received messages) are the platform operator's (master token only); read devices (all
 * roles); send messages (agent and above); create/delete devices (admin); connect/disconnect
 * (admin, supervisor); read groups (all roles), manage them (admin, supervisor); upload media (those who send), read it (all roles); manage webhooks (admin), view them (admin, supervisor); create and read
 * users (admin, supervisor); the audit log (admin). Columns: master, admin, supervisor, agent, viewer.
 */
const ACTION_TABLE: Record<Action, { allowed: readonly [boolean, boolean, boolean, boolean, boolean]; refusal: string }> = {
  'tenants.manage': { allowed: [Y, N, N, N, N], refusal: 'your role may not tenants: manage' },
  'dead_letters.manage': { allowed: [Y, N, N, N, N], refusal: 'your role may not dead_letters: manage' },
  'users.read': { allowed: [Y, Y, Y, N, N], refusal: 'your role may not users: read' },
  'users.create': { allowed: [Y, Y, Y, N, N], refusal: 'your role may not users: create' },
  'audit.read': { allowed: [Y, Y, N, N, N], refusal: 'your role may not audit: read' },
  'devices.read': { allowed: [Y, Y, Y, Y, Y], refusal: 'your role may not devices: read' },
  'devices.manage': { allowed: [Y, Y, N, N, N], refusal: 'your role may not devices: manage' },
  'devices.connect': { allowed: [Y, Y, Y, N, N], refusal: 'your role may not devices: connect' },
  'messages.send': { allowed: [Y, Y, Y, Y, N], refusal: 'your role may not messages: send' },
  'groups.read': { allowed: [Y, Y, Y, Y, Y], refusal: 'your role may not groups: read' },
  'groups.manage': { allowed: [Y, Y, Y, N, N], refusal: 'your role may not groups: manage' },
  'media.upload': { allowed: [Y, Y, Y, Y, N], refusal: 'your role may not media: upload' },
  'media.read': { allowed: [Y, Y, Y, Y, Y], refusal: 'your role may not media: read' },
  'webhooks.read': { allowed: [Y, Y, Y, N, N], refusal: 'your role may not webhooks: read' },
  'webhooks.manage': { allowed: [Y, Y, N, N, N], refusal: 'your role may not webhooks: manage' },
};
const ACTIONS = Object.keys(ACTION_TABLE) as Action[];

const actionRows = ACTIONS.flatMap((action) =>
  WHO.map((who, i) => ({ action, who, allowed: ACTION_TABLE[action].allowed[i]!, refusal: ACTION_TABLE[action].refusal })),
);

describe('can and authorize: every action × every role and the master token', () => {
  it('has 15 actions × 5 actors', () => {
    expect(actionRows).toHaveLength(75);
  });

  it.each(actionRows.map((r) => [`${r.who} ${r.allowed ? 'may' : 'may not'} ${r.action}`, r] as const))('%s', (_name, row) => {
    expect(can(actorOf(row.who), row.action)).toBe(row.allowed);
    expect(errorOf(() => authorize(actorOf(row.who), row.action))).toEqual(row.allowed ? 'no error' : forbidden(row.refusal));
  });

  it('gives each role exactly its actions', () => {
    const allowedFor = (who: Who) => ACTIONS.filter((a) => can(actorOf(who), a));
    expect(allowedFor('master')).toEqual(ACTIONS);
    expect(allowedFor('admin')).toEqual(ACTIONS.filter((a) => a !== 'tenants.manage' && a !== 'dead_letters.manage'));
    expect(allowedFor('supervisor')).toEqual([
      'users.read',
      'users.create',
      'devices.read',
      'devices.connect',
      'messages.send',
      'groups.read',
      'groups.manage',
      'media.upload',
      'media.read',
      'webhooks.read',
    ]);
    expect(allowedFor('agent')).toEqual(['devices.read', 'messages.send', 'groups.read', 'media.upload', 'media.read']);
    expect(allowedFor('viewer')).toEqual(['devices.read', 'groups.read', 'media.read']);
  });
});

/**
 * Managing users: an admin manages (and gives) every role, a supervisor agents and viewers,
 * agents and viewers nobody; the master token everyone. Columns: admin, supervisor, agent, viewer target.
 */
const MANAGE_TABLE: Record<Who, readonly [boolean, boolean, boolean, boolean]> = {
  master: [Y, Y, Y, Y],
  admin: [Y, Y, Y, Y],
  supervisor: [N, N, Y, Y],
  agent: [N, N, N, N],
  viewer: [N, N, N, N],
};
const TARGET_ROLES: readonly Role[] = ['admin', 'supervisor', 'agent', 'viewer'];
const manageRows = WHO.flatMap((who) => TARGET_ROLES.map((target, i) => ({ who, target, allowed: MANAGE_TABLE[who][i]! })));

describe('canManageRole and canAssignRole', () => {
  it.each(manageRows.map((r) => [`${r.who} ${r.allowed ? 'manages and assigns' : 'neither manages nor assigns'} ${r.target}`, r] as const))(
    '%s',
    (_name, row) => {
      expect(canManageRole(actorOf(row.who), row.target)).toBe(row.allowed);
      expect(canAssignRole(actorOf(row.who), row.target)).toBe(row.allowed);
    },
  );
});

describe('authorizeUserCreate', () => {
  // Creating needs users.create (admin, supervisor) and the right to give the role.
  const rows = WHO.flatMap((who) =>
    TARGET_ROLES.map((role) => {
      let expected: ReturnType<typeof errorOf> = 'no error';
      if (who === 'agent' || who === 'viewer') expected = forbidden('your role may not users: create');
      else if (who === 'supervisor' && (role === 'admin' || role === 'supervisor')) expected = forbidden(`your role may not create a user with role ${role}`);
      return { who, role, expected };
    }),
  );

  it('refuses exactly: agents and viewers everything, supervisors admins and supervisors', () => {
    expect(rows.filter((r) => r.expected !== 'no error').map((r) => `${r.who}→${r.role}`)).toEqual([
      'supervisor→admin',
      'supervisor→supervisor',
      'agent→admin',
      'agent→supervisor',
      'agent→agent',
      'agent→viewer',
      'viewer→admin',
      'viewer→supervisor',
      'viewer→agent',
      'viewer→viewer',
    ]);
  });

  it.each(rows.map((r) => [`${r.who} creates a ${r.role}`, r] as const))('%s', (_name, row) => {
    expect(errorOf(() => authorizeUserCreate(actorOf(row.who), row.role))).toEqual(row.expected);
  });
});

describe('authorizeUserRead', () => {
  // Another user: the master token, admins and supervisors (users.read). Oneself: every role.
  const others = WHO.flatMap((who) =>
    TARGET_ROLES.map((role) => ({
      who,
      role,
      expected: who === 'agent' || who === 'viewer' ? forbidden('your role may not users: read') : ('no error' as const),
    })),
  );

  it.each(others.map((r) => [`${r.who} reads another ${r.role}`, r] as const))('%s', (_name, row) => {
    expect(errorOf(() => authorizeUserRead(actorOf(row.who), { id: 'someone-else', role: row.role }))).toEqual(row.expected);
  });

  it.each(TARGET_ROLES)('a %s reads itself', (role) => {
    const me = userActor(role, 'me');
    expect(errorOf(() => authorizeUserRead(me, { id: 'me', role }))).toEqual('no error');
  });

  it('the master token has no user id: a target id never makes it "itself"', () => {
    expect(errorOf(() => authorizeUserRead(MASTER, { id: 'master', role: 'viewer' }))).toEqual('no error');
  });
});

describe('authorizeUserChange', () => {
  // A change (role and/or active) or a deletion of another user: the caller must manage the
  // target's current role and, for a new role, be allowed to give it.
  const manages = (who: Who, role: Role) => MANAGE_TABLE[who][TARGET_ROLES.indexOf(role)]!;

  const rows = WHO.flatMap((who) =>
    TARGET_ROLES.flatMap((from) =>
      [undefined, ...TARGET_ROLES].map((to) => {
        let expected: ReturnType<typeof errorOf> = 'no error';
        if (!manages(who, from)) expected = forbidden(`your role may not manage a user with role ${from}`);
        else if (to !== undefined && !manages(who, to)) expected = forbidden(`your role may not assign the role ${to}`);
        return { who, from, to, expected };
      }),
    ),
  );

  it('covers 5 actors × 4 target roles × (no role change + 4 new roles)', () => {
    expect(rows).toHaveLength(100);
  });

  it.each(rows.map((r) => [`${r.who} changes a ${r.from}${r.to ? ` to ${r.to}` : ' (active only)'}`, r] as const))('%s', (_name, row) => {
    const target = { id: 'someone-else', role: row.from };
    expect(errorOf(() => authorizeUserChange(actorOf(row.who), target, row.to === undefined ? {} : { role: row.to }))).toEqual(row.expected);
  });

  it.each(WHO.flatMap((who) => TARGET_ROLES.map((role) => [who, role] as const)))('%s deletes a %s', (who, role) => {
    const expected = manages(who, role) ? 'no error' : forbidden(`your role may not manage a user with role ${role}`);
    expect(errorOf(() => authorizeUserChange(actorOf(who), { id: 'someone-else', role }, undefined))).toEqual(expected);
    expect(errorOf(() => authorizeUserChange(actorOf(who), { id: 'someone-else', role }, { role: undefined }))).toEqual(expected);
  });

  it("product.md's examples: a supervisor may turn an agent into a viewer, not into a supervisor", () => {
    expect(errorOf(() => authorizeUserChange(userActor('supervisor'), { id: 'a', role: 'agent' }, { role: 'viewer' }))).toEqual('no error');
    expect(errorOf(() => authorizeUserChange(userActor('supervisor'), { id: 'a', role: 'agent' }, { role: 'supervisor' }))).toEqual(
      forbidden('your role may not assign the role supervisor'),
    );
  });

  it.each(
    TARGET_ROLES.flatMap(
      (role) =>
        [
          [role, 'deletes itself', undefined],
          [role, 'deactivates itself', {}],
          [role, 'changes its own role to admin', { role: 'admin' as const }],
          [role, 'keeps its own role', { role }],
        ] as const,
    ),
  )('a %s that %s: 403 self_change', (role, _what, change) => {
    const me = userActor(role, 'me');
    expect(errorOf(() => authorizeUserChange(me, { id: 'me', role }, change))).toEqual(forbidden('you may not change or delete your own user', 'self_change'));
  });

  it('the self rule is about the user id: an admin changes another admin', () => {
    expect(errorOf(() => authorizeUserChange(userActor('admin', 'me'), { id: 'other', role: 'admin' }, { role: 'viewer' }))).toEqual('no error');
  });
});

describe('canSeeEvent: the live stream shows what the caller could read through the API', () => {
  // user.* and tenant.*: those who may read users (admin, supervisor); device.qr: those who may
  // connect devices (admin, supervisor); every other event: every role. Columns: master, admin,
  // supervisor, agent, viewer.
  const ALL = [Y, Y, Y, Y, Y] as const;
  const READERS_OF_USERS = [Y, Y, Y, N, N] as const;
  const CONNECTORS = [Y, Y, Y, N, N] as const;
  const EVENT_TABLE: Record<string, readonly [boolean, boolean, boolean, boolean, boolean]> = {
    'user.created': READERS_OF_USERS,
    'user.updated': READERS_OF_USERS,
    'user.deleted': READERS_OF_USERS,
    'tenant.updated': READERS_OF_USERS,
    'device.qr': CONNECTORS,
    'device.connected': ALL,
    'device.disconnected': ALL,
    'device.logged_out': ALL,
    'device.restricted': ALL,
    'device.unrestricted': ALL,
    'message.received': ALL,
    'message.sent': ALL,
    'message.status': ALL,
    'message.receipt': ALL,
    'message.edited': ALL,
    'message.deleted': ALL,
    'message.reaction': ALL,
    'message.media': ALL,
    'chat.presence': ALL,
    'group.created': ALL,
    'group.updated': ALL,
    'group.participants': ALL,
    'group.join_request': ALL,
    'webhook.test': ALL,
  };
  // Types the catalog does not list yet: the families still decide.
  const FUTURE_TABLE: Record<string, readonly [boolean, boolean, boolean, boolean, boolean]> = {
    'user.password_changed': READERS_OF_USERS,
    'tenant.suspended': READERS_OF_USERS,
    'device.warned': ALL,
    'message.pinned': ALL,
  };

  it('has a row for every event type of the catalog', () => {
    expect(EVENT_TYPES.map((e) => e.type).sort()).toEqual(Object.keys(EVENT_TABLE).sort());
  });

  const rows = Object.entries({ ...EVENT_TABLE, ...FUTURE_TABLE }).flatMap(([type, allowed]) => WHO.map((who, i) => ({ type, who, allowed: allowed[i]! })));
  it.each(rows.map((r) => [`${r.who} ${r.allowed ? 'sees' : 'does not see'} ${r.type}`, r] as const))('%s', (_name, row) => {
    expect(canSeeEvent(actorOf(row.who), row.type)).toBe(row.allowed);
  });

  it('matches families by their dot: "users.x" or "device.qr_code" are not user or QR events', () => {
    expect(WHO.map((w) => canSeeEvent(actorOf(w), 'users.created'))).toEqual([Y, Y, Y, Y, Y]);
    expect(WHO.map((w) => canSeeEvent(actorOf(w), 'device.qr_code'))).toEqual([Y, Y, Y, Y, Y]);
    expect(WHO.map((w) => canSeeEvent(actorOf(w), 'tenantx.updated'))).toEqual([Y, Y, Y, Y, Y]);
  });
});
