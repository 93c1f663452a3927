import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { nowIso } from '../lib/time.js';
import type { IdentityPair, Party } from '../whatsapp/messages.js';
import { PN_SERVER, phoneOf } from './jids.js';
import * as identityRepo from './identity-repo.js';

type Db = Kysely<Database>;

const isLid = (jid: string): boolean => jid.endsWith('@lid');

/**
 * Users are keyed by their phone-number JID once WUTS knows it, by their LID until then. A
 * learned pair is stored and what was kept under the LID (chat, contact, messages, receipts)
 * moves to the phone-number JID, in one transaction per pair.
 */
export async function rememberIdentities(deps: Deps, tenantId: string, deviceId: string, pairs: IdentityPair[]): Promise<void> {
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (seen.has(pair.lid) || !/^\d{5,20}@lid$/.test(pair.lid) || !/^[1-9]\d{5,19}$/.test(pair.phone)) continue;
    seen.add(pair.lid);
    const db = deps.db.kysely;
    if ((await identityRepo.phoneOfLid(db, tenantId, deviceId, pair.lid)) === pair.phone) continue; // known: nothing to move
    await db.transaction().execute(async (trx) => {
      const at = nowIso();
      await identityRepo.upsertIdentity(trx, tenantId, deviceId, pair.lid, pair.phone, at);
      await identityRepo.mergeLidIntoPhone(trx, tenantId, deviceId, pair.lid, `${pair.phone}@${PN_SERVER}`, pair.phone, at);
    });
  }
}

/** The JID WUTS keys a user by: its phone-number JID when the LID's number is known. Groups and phone-number JIDs answer as they are. */
export async function canonicalJid(db: Db, tenantId: string, deviceId: string, jid: string): Promise<string> {
  if (!isLid(jid)) return jid;
  const phone = await identityRepo.phoneOfLid(db, tenantId, deviceId, jid);
  return phone ? `${phone}@${PN_SERVER}` : jid;
}

/** A user in both addressings, as far as the device knows them (`lid` given: as WhatsApp named it now). */
export async function partyOf(db: Db, tenantId: string, deviceId: string, jid: string, lid?: string | null): Promise<Party> {
  const key = await canonicalJid(db, tenantId, deviceId, jid);
  const phone = phoneOf(key);
  const knownLid = lid ?? (isLid(jid) ? jid : phone ? await identityRepo.lidOfPhone(db, tenantId, deviceId, phone) : null);
  return { jid: key, phone, lid: knownLid };
}

/** A user as a stored row names it (its key and the LID kept beside it). */
export function storedParty(jid: string | null, lid: string | null | undefined): Party | null {
  if (!jid) return null;
  return { jid, phone: phoneOf(jid), lid: lid ?? (isLid(jid) ? jid : null) };
}
