import { randomBytes, randomInt } from 'node:crypto';
import { jidDecode } from '../baileys.js';
import { LIMITS, type EmulatorState, type GroupParticipant, type GroupRecord } from '../model.js';

export const GROUP_SERVER = 'g.us';

export const groupJid = (group: GroupRecord): string => `${group.id}@${GROUP_SERVER}`;

/** A fresh invite code: 22 characters of base64url, as WhatsApp's. */
export const newInviteCode = (): string => randomBytes(16).toString('base64url').slice(0, 22);

/** The groups of the emulator, kept in the state (and its file) beside the accounts. */
export class GroupStore {
  private readonly byInvite = new Map<string, GroupRecord>();

  constructor(private readonly state: EmulatorState) {
    for (const group of this.list()) this.byInvite.set(group.inviteCode, group);
  }

  private get groups(): Record<string, GroupRecord> {
    return (this.state.groups ??= {});
  }

  list(): GroupRecord[] {
    return Object.values(this.groups);
  }

  /** A group by its jid (`<digits>@g.us`) or its id (`<digits>`). */
  get(jidOrId: string): GroupRecord | undefined {
    const id = jidOrId.includes('@') ? (jidDecode(jidOrId)?.server === GROUP_SERVER ? jidDecode(jidOrId)?.user : undefined) : jidOrId;
    return id !== undefined && Object.hasOwn(this.groups, id) ? this.groups[id] : undefined;
  }

  byInviteCode(code: string): GroupRecord | undefined {
    return this.byInvite.get(code);
  }

  /** The groups a phone number is a participant of. */
  of(phone: string): GroupRecord[] {
    return this.list().filter((g) => g.participants.some((p) => p.phone === phone));
  }

  /**
   * A new group id in WhatsApp's current form: 18 digits starting 120363 (older groups were
   * `<creator phone>-<unix time>`; Baileys reads both).
   */
  newId(): string {
    let id: string;
    do id = `120363${String(randomInt(0, 1_000_000_000_000)).padStart(12, '0')}`;
    while (Object.hasOwn(this.groups, id));
    return id;
  }

  add(group: GroupRecord): void {
    if (this.list().length >= LIMITS.groups) throw new Error('group limit reached');
    this.groups[group.id] = group;
    this.byInvite.set(group.inviteCode, group);
  }

  remove(group: GroupRecord): void {
    delete this.groups[group.id];
    this.byInvite.delete(group.inviteCode);
  }

  /** Gives the group a new invite code; the old one stops working. */
  revokeInvite(group: GroupRecord): string {
    this.byInvite.delete(group.inviteCode);
    group.inviteCode = newInviteCode();
    this.byInvite.set(group.inviteCode, group);
    return group.inviteCode;
  }
}

export function participant(group: GroupRecord, phone: string): GroupParticipant | undefined {
  return group.participants.find((p) => p.phone === phone);
}

export const isAdmin = (p: GroupParticipant | undefined): boolean => p?.role === 'admin' || p?.role === 'superadmin';
