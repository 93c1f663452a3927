import { isLidUser, isPnUser, jidNormalizedUser, type Contact, type WASocket } from '@whiskeysockets/baileys';
import type { IdentityPair, Party } from '../messages.js';

/** The pair a LID and a phone-number JID make, in either order; null unless one is each. */
export function pairOf(a: string | null | undefined, b: string | null | undefined): IdentityPair | null {
  if (!a || !b) return null;
  const [lid, pn] = isLidUser(a) && isPnUser(b) ? [a, b] : isLidUser(b) && isPnUser(a) ? [b, a] : [null, null];
  if (!lid || !pn) return null;
  return { lid: jidNormalizedUser(lid), phone: jidNormalizedUser(pn).split('@')[0]! };
}

/** The pairs a contact sync or update names. */
export function contactPairs(contacts: Partial<Contact>[]): IdentityPair[] {
  const pairs: IdentityPair[] = [];
  for (const c of contacts) {
    const pair = pairOf(c.lid ?? c.id, c.phoneNumber ?? c.id);
    if (pair) pairs.push(pair);
  }
  return pairs;
}

/**
 * A user named by one JID and maybe its other form (`alt`), in WUTS's terms: keyed by the
 * phone-number JID when known, asking Baileys' LID mapping store when only the LID came.
 */
export async function partyOf(socket: WASocket, jid: string, alt?: string | null): Promise<Party> {
  const main = jidNormalizedUser(jid);
  const other = alt ? jidNormalizedUser(alt) : null;
  let pn = isPnUser(main) ? main : other && isPnUser(other) ? other : null;
  const lid = isLidUser(main) ? main : other && isLidUser(other) ? other : null;
  if (!pn && lid) {
    const known = await socket.signalRepository.lidMapping.getPNForLID(lid).catch(() => null);
    pn = known ? jidNormalizedUser(known) : null;
  }
  return { jid: pn ?? lid ?? main, phone: pn ? pn.split('@')[0]! : null, lid };
}

/** The LID of a phone-number JID, as Baileys' mapping store knows it. */
export async function lidOf(socket: WASocket, pnJid: string): Promise<string | null> {
  if (!isPnUser(pnJid)) return isLidUser(pnJid) ? jidNormalizedUser(pnJid) : null;
  const lid = await socket.signalRepository.lidMapping.getLIDForPN(pnJid).catch(() => null);
  return lid ? jidNormalizedUser(lid) : null;
}
