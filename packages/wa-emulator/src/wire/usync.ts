import { getBinaryNodeChild, jidEncode, type BinaryNode } from '../baileys.js';
import { PN_SERVER, userJid, type ResolvedJid } from '../accounts.js';
import { LIMITS } from '../model.js';
import type { Hub } from './hub.js';
import { bytes, children, iqResult } from './nodes.js';
import type { WireSession } from './session.js';

/** `usync` get: answers the devices, lid and contact protocols for each user asked about. */
export function answerUsync(hub: Hub, session: WireSession, request: BinaryNode): BinaryNode {
  const usync = getBinaryNodeChild(request, 'usync');
  const protocols = new Set(children(getBinaryNodeChild(usync, 'query')).map((p) => p.tag));
  const users = children(getBinaryNodeChild(usync, 'list'), 'user').slice(0, LIMITS.usyncUsers);
  const list = users.map((user) => {
    const contact = getBinaryNodeChild(user, 'contact');
    const phone = bytes(contact)?.toString('utf8').replace(/\D/g, '');
    let resolved: ResolvedJid | undefined;
    let jid = user.attrs.jid;
    if (jid) resolved = hub.registry.resolve(jid);
    else if (phone) {
      const account = hub.registry.get(phone);
      resolved = account && { account, device: undefined, addressing: 'pn' };
      jid = jidEncode(phone, PN_SERVER);
    }
    const content: BinaryNode[] = [];
    if (protocols.has('devices') && resolved) hub.readDeviceList(session, resolved.account);
    if (protocols.has('devices')) {
      const devices = resolved ? Object.values(resolved.account.devices).sort((a, b) => a.id - b.id) : [];
      content.push({
        tag: 'devices',
        attrs: {},
        content: [
          {
            tag: 'device-list',
            attrs: {},
            content: devices.map((d): BinaryNode => ({
              tag: 'device',
              attrs: d.id === 0 ? { id: '0' } : { id: String(d.id), 'key-index': String(d.keyIndex) },
            })),
          },
        ],
      });
    }
    if (protocols.has('lid') && resolved) content.push({ tag: 'lid', attrs: { val: userJid(resolved.account, 'lid') } });
    if (protocols.has('contact')) content.push({ tag: 'contact', attrs: { type: resolved ? 'in' : 'out' } });
    const userAttr = resolved ? userJid(resolved.account, resolved.addressing) : (jid ?? '');
    return { tag: 'user', attrs: { jid: userAttr }, content };
  });
  return iqResult(request, [{ tag: 'usync', attrs: { ...(usync?.attrs ?? {}) }, content: [{ tag: 'list', attrs: {}, content: list }] }]);
}
