import { getBinaryNodeChild, type BinaryNode } from '../baileys.js';
import { deviceJid, userJid, type ResolvedJid } from '../accounts.js';
import { activeTimelock, hasChatWith, REACHOUT_TIMELOCKED_ERROR, rememberChat } from '../restrictions/reachout-timelock.js';
import type { Hub } from './hub.js';
import { children, unixNow } from './nodes.js';
import type { WireSession } from './session.js';

/** Attributes of an outgoing message the receiving client reads and the emulator passes on. */
const PASSED_MESSAGE_ATTRS = ['type', 'edit', 'category', 'verified_name'];

/** Group stanzas, handled by the groups layer (groups/group-routing.ts), which knows who is in which group. */
export interface GroupStanzaRoutes {
  message(session: WireSession, node: BinaryNode): void;
  /** a receipt for a group message, already acked and settled */
  receipt(session: WireSession, node: BinaryNode): void;
}

/** `to` names a group (`<digits>@g.us`). */
export const isGroupJid = (jid: string | undefined): boolean => jid?.endsWith('@g.us') === true;

interface Target {
  jid: string;
  encs: BinaryNode[];
}

/**
 * `<message to=USER><participants><to jid=DEVICE><enc/></to>...` (or a direct `<enc>` to one
 * device, as in retries): ack the sender, hand each device its own `<enc>`. Never decrypts.
 */
/** The server's ack of a message stanza a client sent (`error` set: refused). */
export function messageAck(session: WireSession, node: BinaryNode): (extra?: Record<string, string>) => void {
  const { id, to } = node.attrs;
  return (extra = {}) => session.send({ tag: 'ack', attrs: { class: 'message', id: id ?? '', from: to ?? '', t: unixNow(), ...extra } });
}

export function routeMessage(hub: Hub, session: WireSession, node: BinaryNode, groups?: GroupStanzaRoutes): void {
  if (groups && isGroupJid(node.attrs.to)) return groups.message(session, node);
  const sender = session.account!;
  const senderDevice = session.deviceId!;
  const { id, to } = node.attrs;
  const ack = messageAck(session, node);
  if (!id || !to) return ack({ error: '400' });
  const destination = hub.registry.resolve(to);
  if (!destination) {
    hub.logger.info({ to, id }, 'message to an unknown or unsupported jid (groups, newsletters come later)');
    return ack({ error: '404' });
  }
  if (activeTimelock(sender) && !hasChatWith(sender, destination.account)) {
    hub.logger.info({ from: sender.phone, to, id }, 'refused: the sender is under a reach-out time-lock and never chatted with the recipient');
    return ack({ error: REACHOUT_TIMELOCKED_ERROR });
  }
  const participants = getBinaryNodeChild(node, 'participants');
  const targets: Target[] = participants
    ? children(participants, 'to').map((t) => ({ jid: t.attrs.jid ?? '', encs: children(t, 'enc') }))
    : [{ jid: to, encs: children(node, 'enc') }];
  const deviceIdentity = getBinaryNodeChild(node, 'device-identity');
  const t = unixNow();
  let delivered = 0;
  for (const target of targets) {
    const resolved = hub.registry.resolve(target.jid);
    if (!resolved || target.encs.length === 0) continue;
    const deviceId = resolved.device ?? 0;
    if (!resolved.account.devices[String(deviceId)]) continue; // a stale device list; the client refreshes on our notification
    const isSelf = resolved.account === sender;
    if (isSelf && deviceId === senderDevice) continue;
    const attrs = senderAttrs(sender, senderDevice, destination, { id, t, notify: sender.name });
    for (const name of PASSED_MESSAGE_ATTRS) if (node.attrs[name]) attrs[name] = node.attrs[name];
    if (node.attrs.recipient) attrs.recipient = node.attrs.recipient;
    else if (isSelf && !participants) attrs.recipient = to;
    else if (isSelf) attrs.recipient = userJid(destination.account, destination.addressing);
    hub.deliver(resolved.account, deviceId, { tag: 'message', attrs, content: deviceIdentity ? [...target.encs, deviceIdentity] : target.encs });
    delivered++;
  }
  rememberChat(hub, sender, destination.account);
  hub.logger.debug({ id, to, devices: delivered }, 'message routed');
  ack();
}

/** `from` is the sender device in the chat's addressing; the other form rides along, as WhatsApp does. */
function senderAttrs(sender: ResolvedJid['account'], deviceId: number, chat: ResolvedJid, base: Record<string, string>): Record<string, string> {
  if (chat.addressing === 'lid' && sender.hidesPhoneNumber) return { ...base, from: deviceJid(sender, deviceId, 'lid') };
  if (chat.addressing === 'lid') return { ...base, from: deviceJid(sender, deviceId, 'lid'), sender_pn: deviceJid(sender, deviceId, 'pn') };
  return { ...base, from: deviceJid(sender, deviceId, 'pn'), sender_lid: deviceJid(sender, deviceId, 'lid') };
}

/** Receipt types that concern only the receiving account's own devices or the server. */
export const LOCAL_RECEIPTS: ReadonlySet<string> = new Set(['sender', 'peer_msg', 'hist_sync', 'server-error', 'read-self']);

/**
 * Delivery and read receipts go back to every device of the sender (`from` = the reader);
 * retry receipts go to the exact device that sent the message, with their key bundle intact.
 */
export function routeReceipt(hub: Hub, session: WireSession, node: BinaryNode, groups?: GroupStanzaRoutes): void {
  const reader = session.account!;
  const readerDevice = session.deviceId!;
  const { id, to, type } = node.attrs;
  session.send({ tag: 'ack', attrs: { class: 'receipt', id: id ?? '', from: to ?? '', ...(type ? { type } : {}) } });
  // any receipt but a retry says the device has the message; a retry asks the sender for it
  // again (the resend, same id, replaces the queued copy) and comes with a NACK
  // (a group message is queued under its sender device too: the receipt's `participant`)
  if (type !== 'retry') {
    const { participant } = node.attrs;
    hub.settled(session, 'message', id, to, participant);
    for (const item of children(getBinaryNodeChild(node, 'list'), 'item')) hub.settled(session, 'message', item.attrs.id, to, participant);
  }
  if (groups && isGroupJid(to)) return groups.receipt(session, node);
  if (!id || !to || (type && LOCAL_RECEIPTS.has(type))) return;
  const target = hub.registry.resolve(to);
  if (!target) return;
  if (type === 'retry') {
    const attrs: Record<string, string> = { ...node.attrs, from: deviceJid(reader, readerDevice, target.addressing), t: node.attrs.t ?? unixNow() };
    delete attrs.to;
    hub.deliver(target.account, target.device ?? 0, { tag: 'receipt', attrs, content: node.content });
    return;
  }
  const attrs: Record<string, string> = { id, from: userJid(reader, target.addressing), t: node.attrs.t ?? unixNow() };
  // 'inactive' is what a client not marked online sends: for the sender it is a delivery
  if (type && type !== 'inactive') attrs.type = type;
  if (node.attrs.participant) attrs.participant = node.attrs.participant;
  for (const device of Object.values(target.account.devices)) {
    if (target.account === reader && device.id === readerDevice) continue;
    hub.deliver(target.account, device.id, { tag: 'receipt', attrs: { ...attrs }, ...(node.content ? { content: node.content } : {}) });
  }
}
