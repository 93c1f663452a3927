/**
 * WUTS's own view of WhatsApp groups: what a device's session does with them (DeviceGroups)
 * and what it reports about them (GroupEvent). Nothing here names Baileys.
 */

export type GroupRole = 'member' | 'admin' | 'superadmin';

/** A WhatsApp user as a group names it: its JID, and its phone number and LID when known. */
export interface GroupPerson {
  jid: string;
  /** digits */
  phone: string | null;
  /** `digits@lid` */
  lid: string | null;
}

export interface GroupMember extends GroupPerson {
  role: GroupRole;
}

export type MemberAddMode = 'admins' | 'all_members';

export interface GroupSettings {
  /** only admins send messages */
  announce: boolean;
  /** only admins edit the group info (subject, description, picture, disappearing messages) */
  locked: boolean;
  /** disappearing messages, seconds; 0: off */
  ephemeralSeconds: number;
  memberAddMode: MemberAddMode;
  /** joining by invite link needs an admin's approval */
  joinApproval: boolean;
}

export interface GroupInfo extends GroupSettings {
  /** `digits@g.us` */
  jid: string;
  subject: string;
  description: string | null;
  owner: GroupPerson | null;
  /** unix seconds */
  createdAt: number | null;
  size: number;
  participants: GroupMember[];
}

export type GroupParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

/** What WhatsApp answered for one user of a participants change or a join request answer: 200, or its error code. */
export interface ParticipantResult {
  jid: string;
  code: number;
}

export interface GroupJoinRequestInfo {
  person: GroupPerson;
  method: string | null;
  /** unix seconds */
  requestedAt: number | null;
}

/** Changes of one PUT, applied in this order. `description: null` removes it. */
export interface GroupChanges {
  subject?: string | undefined;
  description?: string | null | undefined;
  announce?: boolean | undefined;
  locked?: boolean | undefined;
  ephemeralSeconds?: number | undefined;
  memberAddMode?: MemberAddMode | undefined;
  joinApproval?: boolean | undefined;
}

/** The group operations of a connected device. They throw GroupRefusedError when WhatsApp refuses. */
export interface DeviceGroups {
  /** Every group the account participates in. */
  list(): Promise<GroupInfo[]>;
  get(groupJid: string): Promise<GroupInfo>;
  /** Creates a group; `refused` lists the participants WhatsApp did not add, with its code. */
  create(subject: string, participantJids: string[]): Promise<{ group: GroupInfo; refused: ParticipantResult[] }>;
  update(groupJid: string, changes: GroupChanges): Promise<void>;
  updateParticipants(groupJid: string, action: GroupParticipantAction, participantJids: string[]): Promise<ParticipantResult[]>;
  inviteCode(groupJid: string): Promise<string>;
  /** A new invite code; the old one stops working. */
  revokeInvite(groupJid: string): Promise<string>;
  /** Joins by invite code; with join approval on, asks to join (`requested`). */
  join(code: string): Promise<{ groupJid: string; state: 'joined' | 'requested' }>;
  joinRequests(groupJid: string): Promise<GroupJoinRequestInfo[]>;
  answerJoinRequests(groupJid: string, action: 'approve' | 'reject', participantJids: string[]): Promise<ParticipantResult[]>;
  leave(groupJid: string): Promise<void>;
  /** The group picture's URL on WhatsApp's servers, or null when it has none. */
  picture(groupJid: string): Promise<{ url: string; id: string | null } | null>;
  /** Sets the picture (JPEG or PNG bytes; made square JPEG). */
  setPicture(groupJid: string, image: Buffer): Promise<void>;
  removePicture(groupJid: string): Promise<void>;
}

/**
 * WhatsApp refused a group operation. `code` is WhatsApp's: 400 bad request, 401 not an admin,
 * 403 not a participant, 404 no such group, 406 bad invite code, 409 conflict, 500 a limit.
 */
export class GroupRefusedError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'GroupRefusedError';
  }
}

/** The picture given is not an image the provider can make a group picture of. */
export class InvalidPictureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPictureError';
  }
}

export type GroupParticipantsChange = 'added' | 'removed' | 'promoted' | 'demoted' | 'left' | 'joined';

export interface GroupUpdateFields {
  subject?: string;
  description?: string | null;
  announce?: boolean;
  locked?: boolean;
  ephemeralSeconds?: number;
  memberAddMode?: MemberAddMode;
  joinApproval?: boolean;
  picture?: 'set' | 'removed';
}

/** What a device's session reports about its groups, as WhatsApp notifies them. */
export type GroupEvent =
  | { kind: 'created'; group: GroupInfo; author: GroupPerson | null }
  | { kind: 'updated'; groupJid: string; author: GroupPerson | null; changes: GroupUpdateFields }
  | { kind: 'participants'; groupJid: string; author: GroupPerson | null; action: GroupParticipantsChange; participants: GroupPerson[] }
  | {
      kind: 'join_request';
      groupJid: string;
      author: GroupPerson | null;
      participant: GroupPerson;
      action: 'created' | 'revoked' | 'rejected';
      method: string | null;
    };
