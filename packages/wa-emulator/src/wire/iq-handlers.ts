import { getBinaryNodeChild, type BinaryNode } from '../baileys.js';
import type { Hub } from './hub.js';
import { iqError, iqResult } from './nodes.js';
import { digest, fetchBundles, preKeyCount, rotateSignedPreKey, storePreKeys } from './prekeys.js';
import type { WireSession } from './session.js';
import { answerUsync } from './usync.js';

type IqHandler = (hub: Hub, session: WireSession, iq: BinaryNode) => BinaryNode;

/** An IQ another layer answers (linking: pairing by code), keyed like the wire's own: `xmlns type child`. */
export interface IqRoute {
  handle(session: WireSession, iq: BinaryNode): BinaryNode;
  /** a device may send it before it is logged in (while it shows a QR) */
  beforeLogin?: boolean;
}

export type IqRoutes = Readonly<Record<string, IqRoute>>;

const PRIVACY_DEFAULTS: Record<string, string> = {
  readreceipts: 'all',
  last: 'all',
  online: 'all',
  profile: 'all',
  status: 'all',
  groupadd: 'all',
  calladd: 'all',
  messages: 'all',
};

/** Known IQs, keyed `xmlns type child`. Anything else is logged and answered with an error. */
const handlers: Record<string, IqHandler> = {
  'encrypt get count': (_hub, session, iq) => preKeyCount(session, iq),
  'encrypt set registration': (hub, session, iq) => storePreKeys(hub, session, iq),
  'encrypt set rotate': (hub, session, iq) => rotateSignedPreKey(hub, session, iq),
  'encrypt get digest': (_hub, session, iq) => digest(session, iq),
  'encrypt get key': (hub, _session, iq) => fetchBundles(hub, iq),
  'usync get usync': (hub, session, iq) => answerUsync(hub, session, iq),
  'passive set active': (_hub, _session, iq) => iqResult(iq),
  'passive set passive': (_hub, _session, iq) => iqResult(iq),
  'abt get props': (_hub, _session, iq) => iqResult(iq, [{ tag: 'props', attrs: { protocol: '1', hash: 'emulator' } }]),
  'blocklist get -': (_hub, _session, iq) => iqResult(iq, [{ tag: 'list', attrs: {} }]),
  'privacy get privacy': (_hub, session, iq) => {
    // "who can add me to groups" as the admin API set it (WhatsApp's values: all, contacts, none)
    const groupAdd = session.account?.privacy?.groupAdd;
    const values: Record<string, string> = {
      ...PRIVACY_DEFAULTS,
      ...(groupAdd ? { groupadd: groupAdd === 'everyone' ? 'all' : groupAdd === 'nobody' ? 'none' : 'contacts' } : {}),
    };
    return iqResult(iq, [{ tag: 'privacy', attrs: {}, content: Object.entries(values).map(([name, value]) => ({ tag: 'category', attrs: { name, value } })) }]);
  },
  'privacy set privacy': (_hub, _session, iq) => iqResult(iq),
  'privacy set tokens': (_hub, _session, iq) => iqResult(iq, [{ tag: 'tokens', attrs: {} }]),
  'w:stats set add': (_hub, _session, iq) => iqResult(iq),
  'w:stats - add': (_hub, _session, iq) => iqResult(iq),
  'urn:xmpp:whatsapp:dirty set clean': (_hub, _session, iq) => iqResult(iq),
  'w:profile:picture get picture': (_hub, _session, iq) => iqError(iq, 404, 'item-not-found'),
  'md set remove-companion-device': (hub, session, iq) => {
    // the client logs itself out; it closes the socket on its own afterwards
    const { account, deviceId } = session;
    if (account && deviceId !== undefined && deviceId !== 0) {
      session.send(iqResult(iq));
      hub.logout(account, deviceId);
      return iqResult(iq);
    }
    return iqError(iq, 400, 'bad-request');
  },
};

/** Answers a client IQ: by one of `routes` (other layers'), else by the wire's own handlers; an unknown one gets error 501 at once. */
export function handleIq(hub: Hub, routes: IqRoutes, session: WireSession, iq: BinaryNode): void {
  const type = iq.attrs.type;
  if (type === 'result' || type === 'error') {
    if (!session.settleQuery(iq)) hub.logger.debug({ id: iq.attrs.id, conn: session.label }, 'iq answer nobody waits for');
    return;
  }
  const first = Array.isArray(iq.content) ? iq.content[0] : undefined;
  const key = `${iq.attrs.xmlns ?? '-'} ${type ?? '-'} ${first?.tag ?? '-'}`;
  if (key === 'w:p get ping') {
    session.send(iqResult(iq));
    return;
  }
  const route = Object.hasOwn(routes, key) ? routes[key] : undefined;
  if (session.state !== 'online' && !route?.beforeLogin) {
    session.send(iqError(iq, 401, 'not-authorized'));
    return;
  }
  const handler: IqHandler | undefined = route ? (_hub, s, request) => route.handle(s, request) : handlers[key];
  if (!handler) {
    hub.logger.warn({ iq: key, conn: session.label, child: first ? getBinaryNodeChild(iq, first.tag)?.attrs : undefined }, 'unknown iq answered with an error');
    session.send(iqError(iq, 501, 'feature-not-implemented'));
    return;
  }
  const answer = handler(hub, session, iq);
  if (key === 'md set remove-companion-device') return;
  session.send(answer);
}
