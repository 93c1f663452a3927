import type { Actor, UserActor } from '../auth/actor.js';
import { tenantUserOf } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { findDevice } from '../devices/repo.js';
import { AppError, conflict, notFound } from '../lib/errors.js';
import { GroupRefusedError, type DeviceGroups } from '../whatsapp/groups.js';
import { groupErrorOf } from './errors.js';
import { parseGroupJid } from './ids.js';
import type { Me } from './view.js';

/** What a group operation works with: the caller, its device (of its tenant, connected) and the device's group operations. */
export interface GroupContext {
  user: UserActor;
  deviceId: string;
  me: Me;
  groups: DeviceGroups;
}

export type GroupAction = 'groups.read' | 'groups.manage';

/** Authorizes, finds the device in the caller's tenant (404), and reaches its live connection (409 when it is not connected). */
export async function groupContext(deps: Deps, actor: Actor, deviceId: string, action: GroupAction): Promise<GroupContext> {
  const user = tenantUserOf(actor, 'groups');
  authorize(user, action);
  const device = await findDevice(deps.db.kysely, user.tenantId, deviceId);
  if (!device) throw notFound('device');
  const devices = deps.bus.devices();
  if (!(await devices.isConnected(deviceId))) throw conflict('the device is not connected', 'device_not_connected');
  return { user, deviceId, me: { phone: device.phone, lid: device.lid }, groups: devices.groups(deviceId) };
}

/** groupContext for a route naming a group: after who may ask, the group JID is checked (400) before anything is looked up. */
export async function groupTarget(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  group: string,
  action: GroupAction,
): Promise<GroupContext & { groupJid: string }> {
  authorize(tenantUserOf(actor, 'groups'), action);
  const groupJid = parseGroupJid(group);
  return { ...(await groupContext(deps, actor, deviceId, action)), groupJid };
}

/**
 * Runs a WhatsApp call, turning its refusals into API errors (and logging what is not a
 * refusal). WhatsApp's 403 says "not a participant" for group reads but may say "not allowed"
 * for changes a member may not make: the group is read to tell a group the number is not in
 * (404) from one it is in without the right (403 not_group_admin).
 */
export async function onWhatsApp<T>(deps: Deps, ctx: GroupContext, groupJid: string | undefined, work: (groups: DeviceGroups) => Promise<T>): Promise<T> {
  try {
    return await work(ctx.groups);
  } catch (err) {
    if (err instanceof GroupRefusedError && err.code === 403 && groupJid && (await isMember(ctx, groupJid))) {
      throw new AppError(403, 'not_group_admin', `the device's number may not do this in group ${groupJid}: WhatsApp refused`);
    }
    const mapped = groupErrorOf(err, groupJid);
    if (mapped instanceof AppError && mapped.statusCode >= 500)
      deps.logger.warn({ err, deviceId: ctx.deviceId, groupJid }, 'a group request to WhatsApp failed');
    throw mapped;
  }
}

async function isMember(ctx: GroupContext, groupJid: string): Promise<boolean> {
  try {
    await ctx.groups.get(groupJid);
    return true;
  } catch {
    return false;
  }
}

/** Audits a change made on WhatsApp: the device is the target, the group and the change are in `after`. */
export async function auditGroup(deps: Deps, ctx: GroupContext, action: string, after: object): Promise<void> {
  await recordAudit(deps.db.kysely, ctx.user, { tenantId: ctx.user.tenantId, action, targetType: 'device', targetId: ctx.deviceId, after });
}
