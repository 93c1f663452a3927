import type { BinaryNode } from '../baileys.js';
import type { Hub } from './hub.js';
import { handleIq, type IqRoutes } from './iq-handlers.js';
import { forwardChatState, handlePresence } from './presence.js';
import { routeMessage, routeReceipt, type GroupStanzaRoutes } from './routing.js';
import type { WireSession } from './session.js';

/** Routes one stanza from a client to what handles it; `iqRoutes` are the IQs other layers answer (linking, media, groups), `groups` the group stanzas. */
export function dispatchNode(hub: Hub, iqRoutes: IqRoutes, session: WireSession, node: BinaryNode, groups?: GroupStanzaRoutes): void {
  if (node.tag === 'iq') return handleIq(hub, iqRoutes, session, node);
  if (session.state !== 'online') return; // while pairing, only iqs matter
  switch (node.tag) {
    case 'message':
      return routeMessage(hub, session, node, groups);
    case 'receipt':
      return routeReceipt(hub, session, node, groups);
    case 'ack': {
      // an ack with an error is a NACK: the stanza stays queued for the device's next login
      const { class: tag = '', id, to, error, participant } = node.attrs;
      return error ? hub.nacked(session, tag, id, to, error, participant) : hub.settled(session, tag, id, to, participant);
    }
    case 'presence':
      return handlePresence(hub, session, node);
    case 'chatstate':
      return forwardChatState(hub, session, node);
    case 'ib':
    case 'notification':
      return; // telemetry (unified_session) and client notifications need no answer
    case 'call':
      session.send({ tag: 'ack', attrs: { class: 'call', id: node.attrs.id ?? '', from: node.attrs.to ?? '' } });
      return;
    default:
      hub.logger.warn({ tag: node.tag, attrs: node.attrs, conn: session.label }, 'unknown stanza ignored');
  }
}
