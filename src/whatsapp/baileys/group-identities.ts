import { isLidUser, isPnUser, jidDecode, jidNormalizedUser } from '@whiskeysockets/baileys';
import type { GroupPerson } from '../groups.js';

/**
 * The phone numbers and LIDs the session has seen side by side in group answers and
 * notifications (and its own account's). Baileys 7.0.0-rc14 drops the actor's other form on
 * the way from a notification to its group events (WAMessageKey.participantAlt is not a field
 * of the protobuf key the notification is rebuilt into), so an actor named by LID alone is
 * completed from here.
 */
export class GroupIdentities {
  private readonly pnByLid = new Map<string, string>();
  private readonly lidByPn = new Map<string, string>();
  private static readonly MAX = 50_000;

  constructor(private readonly me: () => { id?: string | undefined; lid?: string | undefined } | undefined) {}

  /** Remembers a user's two forms, when both are known. */
  learn(p: GroupPerson): void {
    if (!p.phone || !p.lid) return;
    if (this.pnByLid.size >= GroupIdentities.MAX) {
      this.pnByLid.clear();
      this.lidByPn.clear();
    }
    this.pnByLid.set(p.lid, p.phone);
    this.lidByPn.set(p.phone, p.lid);
  }

  /** The person with its missing form filled in, when known. */
  complete(p: GroupPerson): GroupPerson {
    this.learnMe();
    const phone = p.phone ?? (p.lid ? (this.pnByLid.get(p.lid) ?? null) : null);
    const lid = p.lid ?? (p.phone ? (this.lidByPn.get(p.phone) ?? null) : null);
    return { jid: p.jid, phone, lid };
  }

  private learnMe(): void {
    const me = this.me();
    if (!me?.id || !me.lid) return;
    const pn = jidNormalizedUser(me.id);
    const lid = jidNormalizedUser(me.lid);
    if (isPnUser(pn) && isLidUser(lid)) this.learn({ jid: pn, phone: jidDecode(pn)?.user ?? null, lid });
  }
}
