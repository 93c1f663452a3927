import type { GroupMetadata, WASocket } from '@whiskeysockets/baileys';
import type { IdentityPair } from '../messages.js';
import { pairOf } from './identities.js';

/** How long a group's metadata is trusted without a change notification (participants, subject). */
const GROUP_METADATA_TTL_MS = 5 * 60_000;
/** Groups remembered per session; the oldest goes first. */
const MAX_GROUPS = 500;

/**
 * The metadata of the groups a session sends to and receives from, in memory: Baileys asks
 * for it before every group send (its `cachedGroupMetadata` option), and WUTS reads the
 * subject and the participant count from it. Change notifications drop a group's entry.
 */
export class GroupMetadataCache {
  private readonly entries = new Map<string, { meta: GroupMetadata; until: number }>();
  private socket: WASocket | undefined;
  /** Groups whose metadata is being fetched in the background (warm). */
  private readonly warming = new Set<string>();
  /** Told the LID and phone number of each participant a group's metadata names both of. */
  onIdentities: (pairs: IdentityPair[]) => void = () => {};
  /** Told a group's subject whenever metadata or a change names it. */
  onSubject: (jid: string, subject: string) => void = () => {};

  /** The session's socket, set once it exists (the cache is handed to the socket's config first). */
  attach(socket: WASocket): void {
    this.socket = socket;
    socket.ev.on('groups.upsert', (groups) => groups.forEach((g) => this.put(g)));
    socket.ev.on('groups.update', (updates) =>
      updates.forEach((u) => {
        if (!u.id) return;
        this.drop(u.id);
        if (u.subject) this.onSubject(u.id, u.subject);
      }),
    );
    socket.ev.on('group-participants.update', ({ id }) => this.drop(id));
  }

  /** Fetches a group's metadata in the background when it is not cached (a message from a group not seen since the start). */
  warm(jid: string): void {
    if (!this.cached(jid) && !this.warming.has(jid)) {
      this.warming.add(jid);
      void this.get(jid).finally(() => this.warming.delete(jid));
    }
  }

  /** What Baileys' cachedGroupMetadata answers: a fresh entry, or nothing (Baileys then asks WhatsApp). */
  cached(jid: string): GroupMetadata | undefined {
    const entry = this.entries.get(jid);
    if (!entry || entry.until < Date.now()) return undefined;
    return entry.meta;
  }

  /** Whether the group names its members by LID (as WhatsApp's groups of today). */
  async namesByLid(jid: string): Promise<boolean> {
    return (await this.get(jid))?.addressingMode === 'lid';
  }

  /** The group's metadata, asked from WhatsApp when not cached; undefined when it cannot be had. */
  async get(jid: string): Promise<GroupMetadata | undefined> {
    const cached = this.cached(jid);
    if (cached || !this.socket) return cached;
    try {
      const meta = await this.socket.groupMetadata(jid);
      this.put(meta);
      return meta;
    } catch {
      return undefined; // not a participant, or the group is gone: the send itself says why
    }
  }

  put(meta: GroupMetadata): void {
    if (!Array.isArray(meta.participants)) return;
    const pairs = meta.participants.map((p) => pairOf(p.lid ?? p.id, p.phoneNumber ?? p.id)).filter((p): p is IdentityPair => p !== null);
    if (pairs.length) this.onIdentities(pairs);
    if (meta.subject) this.onSubject(meta.id, meta.subject);
    this.entries.delete(meta.id);
    this.entries.set(meta.id, { meta, until: Date.now() + GROUP_METADATA_TTL_MS });
    if (this.entries.size > MAX_GROUPS) this.entries.delete(this.entries.keys().next().value as string);
  }

  drop(jid: string): void {
    this.entries.delete(jid);
  }
}
