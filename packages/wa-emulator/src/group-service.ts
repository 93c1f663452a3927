import { userJid } from './accounts.js';
import { BadRequestError, NotFoundError } from './errors.js';
import type { GroupActions, GroupTarget, ParticipantAction, ParticipantResult } from './groups/group-actions.js';
import { groupJid, isAdmin } from './groups/group-store.js';
import { LIMITS, type AccountPrivacy, type AccountRecord, type GroupRecord, type SentMessage } from './model.js';
import type { AccountPhone } from './phone/phone.js';
import { outgoingContent, type SendRequest } from './phone/send-request.js';

/** The changes PATCH /admin/accounts/{phone}/groups/{group} applies, each notified to the members as it is made. */
export interface GroupChanges {
  subject?: string;
  /** null removes it */
  description?: string | null;
  announce?: boolean;
  locked?: boolean;
  /** disappearing messages, seconds; 0 = off */
  ephemeral?: number;
  member_add_mode?: 'admin_add' | 'all_member_add';
  join_approval?: boolean;
}

/** A group message from the admin API: what POST .../messages takes, without `to` and quotes, with `mentions`. */
export type GroupSendRequest = Omit<SendRequest, 'to' | 'quoted_id' | 'unchecked_quoted_id'> & { mentions?: string[] };

/** What the admin API does with groups, as one of the group's participants (its phone acting). */
export class GroupService {
  constructor(
    private readonly groups: GroupActions,
    private readonly account: (phone: string) => AccountRecord,
    private readonly phoneFor: (account: AccountRecord) => AccountPhone,
  ) {}

  list(phone: string): GroupRecord[] {
    return this.groups.store.of(this.account(phone).phone);
  }

  /** A group the account is a participant of (404 group_not_found, 403 not_a_participant). */
  get(phone: string, id: string): GroupRecord {
    return this.groups.memberView(this.account(phone), id);
  }

  create(phone: string, subject: string, participants: string[], addressingMode?: 'pn' | 'lid'): { group: GroupRecord; results: ParticipantResult[] } {
    const actor = this.account(phone);
    return this.groups.create(actor, subject, this.targets(participants.filter((p) => p !== phone)), addressingMode ? { addressingMode } : {});
  }

  participants(phone: string, id: string, action: ParticipantAction, phones: string[]): ParticipantResult[] {
    const actor = this.account(phone);
    return this.groups.updateParticipants(actor, this.groups.group(id), action, this.targets(phones));
  }

  update(phone: string, id: string, changes: GroupChanges): GroupRecord {
    const actor = this.account(phone);
    const group = this.groups.memberView(actor, id);
    if (Object.keys(changes).length === 0) throw new BadRequestError('invalid_request', 'name at least one change');
    if (changes.subject !== undefined) this.groups.setSubject(actor, group, changes.subject);
    if (changes.description !== undefined) this.groups.setDescription(actor, group, changes.description);
    if (changes.announce !== undefined) this.groups.setSetting(actor, group, changes.announce ? 'announcement' : 'not_announcement');
    if (changes.locked !== undefined) this.groups.setSetting(actor, group, changes.locked ? 'locked' : 'unlocked');
    if (changes.ephemeral !== undefined) this.groups.setEphemeral(actor, group, changes.ephemeral);
    if (changes.member_add_mode !== undefined) this.groups.setMemberAddMode(actor, group, changes.member_add_mode);
    if (changes.join_approval !== undefined) this.groups.setJoinApproval(actor, group, changes.join_approval);
    return group;
  }

  inviteCode(phone: string, id: string): string {
    return this.groups.inviteCode(this.account(phone), this.groups.group(id));
  }

  revokeInvite(phone: string, id: string): string {
    return this.groups.revokeInvite(this.account(phone), this.groups.group(id));
  }

  join(phone: string, code: string) {
    return this.groups.acceptInvite(this.account(phone), code);
  }

  requests(phone: string, id: string) {
    return this.groups.requests(this.account(phone), this.groups.group(id));
  }

  answerRequests(phone: string, id: string, action: 'approve' | 'reject', phones: string[]): ParticipantResult[] {
    return this.groups.answerRequests(this.account(phone), this.groups.group(id), action, this.targets(phones));
  }

  cancelRequest(phone: string, id: string): void {
    this.groups.cancelRequest(this.account(phone), this.groups.group(id));
  }

  leave(phone: string, id: string): void {
    this.groups.leave(this.account(phone), this.groups.group(id));
  }

  /** Sends to the group from the account's phone (Baileys: sender key distribution, skmsg); `mentions` are phone numbers. */
  async send(phone: string, id: string, req: GroupSendRequest): Promise<SentMessage> {
    const actor = this.account(phone);
    const group = this.groups.memberView(actor, id);
    const { mentions, ...rest } = req;
    const content = outgoingContent({ ...rest, to: groupJid(group) });
    const mentionJids = (mentions ?? []).map((p) => {
      const account = this.lookup(p);
      if (!account) throw new NotFoundError('mention_not_found', `no account ${p} to mention`);
      return userJid(account, group.addressingMode);
    });
    const members = group.participants.map((p) => p.phone).filter((p) => p !== phone);
    return this.phoneFor(actor).actions.send(groupJid(group), content, undefined, req.unchecked_id, { members, mentions: mentionJids });
  }

  /** Who may add the account to groups; `contacts` (phone numbers) replaces the account's contact list when given. */
  setPrivacy(phone: string, groupAdd: AccountPrivacy['groupAdd'], contacts?: string[]): AccountPrivacy {
    const account = this.account(phone);
    if (contacts && contacts.length > LIMITS.contactsPerAccount)
      throw new BadRequestError('too_many_contacts', `at most ${LIMITS.contactsPerAccount} contacts`);
    account.privacy = { groupAdd, contacts: contacts ? [...new Set(contacts)] : (account.privacy?.contacts ?? []) };
    this.groups.changedState();
    return account.privacy;
  }

  privacy(phone: string): AccountPrivacy {
    return this.account(phone).privacy ?? { groupAdd: 'everyone', contacts: [] };
  }

  /** A group by jid or id, whoever asks. */
  find(id: string): GroupRecord | undefined {
    return this.groups.store.get(id);
  }

  isParticipant(phone: string, group: GroupRecord): boolean {
    return group.participants.some((p) => p.phone === phone);
  }

  /** Whether the account is an admin of the group (what it sees of invite codes and requests). */
  isAdmin(phone: string, group: GroupRecord): boolean {
    return isAdmin(group.participants.find((p) => p.phone === phone));
  }

  private targets(phones: string[]): GroupTarget[] {
    return phones.map((phone) => ({ jid: `${phone}@s.whatsapp.net`, account: this.lookup(phone) }));
  }

  private lookup(phone: string): AccountRecord | undefined {
    try {
      return this.account(phone);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}
