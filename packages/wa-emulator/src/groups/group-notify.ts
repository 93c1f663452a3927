import { randomBytes } from 'node:crypto';
import type { BinaryNode } from '../baileys.js';
import type { AccountRecord, GroupRecord } from '../model.js';
import type { Hub } from '../wire/hub.js';
import { unixNow } from '../wire/nodes.js';
import { actorAttrs } from './group-nodes.js';
import { groupJid } from './group-store.js';

/**
 * `<notification from=GROUP type="w:gp2" participant=ACTOR ...><CHANGE/></notification>` to every
 * device of each recipient (phone and companions; queued for those offline). Baileys turns
 * them into groups.upsert (create), group-participants.update (add, remove, promote, demote),
 * groups.update (subject, description, settings, invite) and group.join-request.
 */
export function notifyGroup(
  hub: Hub,
  group: GroupRecord,
  actor: AccountRecord | undefined,
  change: BinaryNode,
  recipients: Iterable<AccountRecord>,
  /** `picture` for a group picture change (Baileys: a GROUP_CHANGE_ICON stub message) */
  type: 'w:gp2' | 'picture' = 'w:gp2',
): void {
  const mode = group.addressingMode;
  const attrs: Record<string, string> = {
    from: groupJid(group),
    type,
    id: randomBytes(8).toString('hex').toUpperCase(),
    t: unixNow(),
    addressing_mode: mode,
    ...(actor ? { ...actorAttrs('participant', actor, mode), notify: actor.name } : {}),
  };
  const seen = new Set<string>();
  for (const account of recipients) {
    if (seen.has(account.phone)) continue;
    seen.add(account.phone);
    for (const device of Object.values(account.devices)) hub.deliver(account, device.id, { tag: 'notification', attrs: { ...attrs }, content: [change] });
  }
  hub.logger.debug({ group: group.id, change: change.tag, recipients: seen.size }, 'group notification');
}
