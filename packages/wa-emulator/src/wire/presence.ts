import type { BinaryNode } from '../baileys.js';
import { userJid } from '../accounts.js';
import type { Hub } from './hub.js';
import type { WireSession } from './session.js';

/** `<presence type=available|unavailable|subscribe>`: online state and who watches it. */
export function handlePresence(hub: Hub, session: WireSession, node: BinaryNode): void {
  const account = session.account!;
  const { type, to } = node.attrs;
  if (type === 'subscribe') {
    const target = to ? hub.registry.resolve(to) : undefined;
    if (target) hub.watch(session, target.account, target.addressing);
    return;
  }
  if (type !== 'available' && type !== 'unavailable') return; // a name-only update
  const before = hub.isAvailable(account);
  session.available = type === 'available';
  if (hub.isAvailable(account) !== before) hub.broadcastPresence(account);
}

/** `<chatstate to=JID><composing/>`: typing indicators go to the peer's online devices only. */
export function forwardChatState(hub: Hub, session: WireSession, node: BinaryNode): void {
  const sender = session.account!;
  const target = node.attrs.to ? hub.registry.resolve(node.attrs.to) : undefined;
  if (!target || !Array.isArray(node.content)) return;
  const state = node.content[0];
  if (!state || !['composing', 'paused'].includes(state.tag)) return;
  const forwarded: BinaryNode = {
    tag: 'chatstate',
    attrs: { from: userJid(sender, target.addressing) },
    content: [{ tag: state.tag, attrs: { ...state.attrs } }],
  };
  for (const peer of hub.onlineSessions(target.account)) if (peer !== session) peer.send(forwarded);
}
