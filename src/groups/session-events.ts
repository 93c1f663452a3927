import type { Static } from 'typebox';
import type { Deps } from '../deps.js';
import { findDevice } from '../devices/repo.js';
import { withOutbox } from '../events/outbox.js';
import type { GroupEvent, GroupUpdateFields } from '../whatsapp/groups.js';
import type { SessionEvents } from '../whatsapp/provider.js';
import type { GroupUpdatedData } from './event-schemas.js';
import { toGroup, toPerson } from './view.js';

function changesOf(c: GroupUpdateFields): Static<typeof GroupUpdatedData>['changes'] {
  return {
    ...(c.subject !== undefined ? { subject: c.subject } : {}),
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.announce !== undefined ? { announce: c.announce } : {}),
    ...(c.locked !== undefined ? { locked: c.locked } : {}),
    ...(c.ephemeralSeconds !== undefined ? { ephemeral_seconds: c.ephemeralSeconds } : {}),
    ...(c.memberAddMode !== undefined ? { member_add_mode: c.memberAddMode } : {}),
    ...(c.joinApproval !== undefined ? { join_approval: c.joinApproval } : {}),
    ...(c.picture !== undefined ? { picture: c.picture } : {}),
  };
}

/** One group.* event of the catalog for what the session reported. */
async function toEvent(deps: Deps, tenantId: string, deviceId: string, e: GroupEvent): Promise<{ type: string; data: object }> {
  const author = e.author ? toPerson(e.author) : null;
  switch (e.kind) {
    case 'created': {
      const device = await findDevice(deps.db.kysely, tenantId, deviceId);
      const me = { phone: device?.phone ?? null, lid: device?.lid ?? null };
      return { type: 'group.created', data: { group_jid: e.group.jid, group: toGroup(e.group, me), author } };
    }
    case 'updated':
      return { type: 'group.updated', data: { group_jid: e.groupJid, author, changes: changesOf(e.changes) } };
    case 'participants':
      return { type: 'group.participants', data: { group_jid: e.groupJid, author, action: e.action, participants: e.participants.map(toPerson) } };
    case 'join_request':
      return {
        type: 'group.join_request',
        data: { group_jid: e.groupJid, author, participant: toPerson(e.participant), action: e.action, method: e.method },
      };
  }
}

/**
 * What a device's session reports about its groups, written as group.* events (through the
 * outbox: webhooks and the live stream), after the device's earlier writes, in arrival order.
 */
export function deviceGroupEvents(
  deps: Deps,
  tenantId: string,
  deviceId: string,
  serial: (work: () => Promise<void>) => void,
): Pick<SessionEvents, 'onGroupEvent'> {
  return {
    onGroupEvent: (event) =>
      serial(async () => {
        const { type, data } = await toEvent(deps, tenantId, deviceId, event);
        await withOutbox(deps, async (_trx, emit) => {
          await emit({ tenantId, deviceId, type, data });
        });
      }),
  };
}
