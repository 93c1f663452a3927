import { deviceJid, userJid } from '../accounts.js';
import { getBinaryNodeChild, type BinaryNode } from '../baileys.js';
import type { Hub } from '../wire/hub.js';
import { children, unixNow } from '../wire/nodes.js';
import { LOCAL_RECEIPTS, messageAck, type GroupStanzaRoutes } from '../wire/routing.js';
import type { WireSession } from '../wire/session.js';
import type { GroupActions } from './group-actions.js';
import { groupJid, isAdmin } from './group-store.js';

/** Attributes of a group message the receiving clients read and the emulator passes on. */
const PASSED_ATTRS = ['type', 'edit', 'category', 'expiration', 'mediatype', 'verified_name'];

/**
 * The ack error a refused group message gets (Baileys: messages.update status ERROR with
 * messageStubParameters [code]): 403 when the sender is not a participant, or when only admins
 * may send (announcement) and it is not one; 404 for a group that does not exist.
 */
export const GROUP_SEND_REFUSED = '403';

/** Stanza types a non-admin may still send to an announcement group (they are no posts). */
const ALLOWED_IN_ANNOUNCEMENT = new Set(['reaction']);

/**
 * Group stanzas: `<message to=GROUP><enc type=skmsg/><participants><to jid=DEVICE><enc pkmsg|msg/></to>...`
 * from a participant device is handed to every other participant device (the sender's own
 * included): `from` the group, `participant` the sender device, that device's own enc (the
 * sender key distribution) BEFORE the shared skmsg, so that the key is known when the skmsg is
 * decrypted. Receipts go back to the sender's devices with `participant` the reader.
 */
export function groupStanzaRoutes(hub: Hub, groups: GroupActions): GroupStanzaRoutes {
  return {
    message: (session, node) => routeGroupMessage(hub, groups, session, node),
    receipt: (session, node) => routeGroupReceipt(hub, groups, session, node),
  };
}

function routeGroupMessage(hub: Hub, groups: GroupActions, session: WireSession, node: BinaryNode): void {
  const sender = session.account!;
  const senderDevice = session.deviceId!;
  const { id, to } = node.attrs;
  const ack = messageAck(session, node);
  if (!id || !to) return ack({ error: '400' });
  const group = groups.store.get(to);
  if (!group) return ack({ error: '404' });
  const me = groups.participantOf(group, sender);
  if (!me) {
    hub.logger.info({ group: group.id, from: session.label, id }, 'group message from a non-participant refused');
    return ack({ error: GROUP_SEND_REFUSED });
  }
  if (group.announce && !isAdmin(me) && !ALLOWED_IN_ANNOUNCEMENT.has(node.attrs.type ?? '')) {
    hub.logger.info({ group: group.id, from: session.label, id }, 'announcement group: message from a non-admin refused');
    return ack({ error: GROUP_SEND_REFUSED });
  }
  const mode = group.addressingMode;
  const other = mode === 'lid' ? 'pn' : 'lid';
  const attrs: Record<string, string> = {
    from: groupJid(group),
    id,
    t: unixNow(),
    participant: deviceJid(sender, senderDevice, mode),
    [`participant_${other}`]: deviceJid(sender, senderDevice, other),
    addressing_mode: mode,
    notify: sender.name,
  };
  // a member that hides its number is named by its LID alone in a LID group
  if (mode === 'lid' && sender.hidesPhoneNumber) delete attrs.participant_pn;
  for (const name of PASSED_ATTRS) if (node.attrs[name]) attrs[name] = node.attrs[name];
  const shared = children(node, 'enc');
  const deviceIdentity = getBinaryNodeChild(node, 'device-identity');

  // a resend after one device's retry receipt: only that device, its own enc
  if (node.attrs.participant) {
    const target = hub.registry.resolve(node.attrs.participant);
    if (target && groups.participantOf(group, target.account) && shared.length > 0)
      hub.deliver(target.account, target.device ?? 0, { tag: 'message', attrs, content: deviceIdentity ? [...shared, deviceIdentity] : shared });
    return ack();
  }

  const own = new Map<string, BinaryNode[]>();
  for (const t of children(getBinaryNodeChild(node, 'participants'), 'to')) {
    const resolved = hub.registry.resolve(t.attrs.jid ?? '');
    if (resolved) own.set(`${resolved.account.phone}:${resolved.device ?? 0}`, children(t, 'enc'));
  }
  let delivered = 0;
  for (const account of groups.members(group)) {
    for (const device of Object.values(account.devices)) {
      if (account === sender && device.id === senderDevice) continue;
      const mine = own.get(`${account.phone}:${device.id}`) ?? [];
      if (mine.length === 0 && shared.length === 0) continue;
      const content = [...mine, ...shared];
      if (deviceIdentity && mine.some((e) => e.attrs.type === 'pkmsg')) content.push(deviceIdentity);
      hub.deliver(account, device.id, { tag: 'message', attrs: { ...attrs }, content });
      delivered++;
    }
  }
  hub.logger.debug({ id, group: group.id, devices: delivered }, 'group message routed');
  ack();
}

/** `<receipt to=GROUP participant=SENDER_DEVICE>` (acked and settled by the caller): to the sender's devices, `participant` the reader. */
function routeGroupReceipt(hub: Hub, groups: GroupActions, session: WireSession, node: BinaryNode): void {
  const reader = session.account!;
  const readerDevice = session.deviceId!;
  const { id, to, type, participant } = node.attrs;
  if (!id || !to || !participant || (type && LOCAL_RECEIPTS.has(type))) return;
  const group = groups.store.get(to);
  const author = hub.registry.resolve(participant);
  if (!group || !author) return;
  if (type === 'retry') {
    const attrs: Record<string, string> = {
      ...node.attrs,
      from: groupJid(group),
      participant: deviceJid(reader, readerDevice, author.addressing),
      t: node.attrs.t ?? unixNow(),
    };
    delete attrs.to;
    hub.deliver(author.account, author.device ?? 0, { tag: 'receipt', attrs, content: node.content });
    return;
  }
  const attrs: Record<string, string> = { id, from: groupJid(group), participant: userJid(reader, author.addressing), t: node.attrs.t ?? unixNow() };
  if (type && type !== 'inactive') attrs.type = type;
  for (const device of Object.values(author.account.devices)) {
    if (author.account === reader && device.id === readerDevice) continue;
    hub.deliver(author.account, device.id, { tag: 'receipt', attrs: { ...attrs }, ...(node.content ? { content: node.content } : {}) });
  }
}
