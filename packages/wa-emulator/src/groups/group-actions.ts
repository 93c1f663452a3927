import { randomBytes } from 'node:crypto';
import type { BinaryNode } from '../baileys.js';
import { LIMITS, type AccountRecord, type GroupParticipant, type GroupRecord } from '../model.js';
import type { Hub } from '../wire/hub.js';
import { GroupError, groupNotFound, notAdmin, notParticipant } from './group-error.js';
import { groupNode, joinApprovalNode, participantNode } from './group-nodes.js';
import { notifyGroup } from './group-notify.js';
import { GroupStore, isAdmin, newInviteCode, participant } from './group-store.js';

/** A user named in a request: the jid as given (answered back as given), and its account when it is one. */
export interface GroupTarget {
  jid: string;
  account: AccountRecord | undefined;
}

/** What happened to one user of a participants change: 200, or WhatsApp's per-participant error code. */
export interface ParticipantResult {
  jid: string;
  phone?: string;
  code: number;
}

export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote';
export type GroupSetting = 'announcement' | 'not_announcement' | 'locked' | 'unlocked';

/**
 * Per-participant codes, as WhatsApp answers them: 403 the user's privacy ("who can add me to
 * groups") refuses this adder, 404 not on WhatsApp (no account of this emulator), or not a
 * participant (remove, promote, demote) or no pending request (approve, reject), 409 already a
 * participant, 406 the group creator cannot be removed or demoted by another admin, 500 the
 * group is full or the user is in too many groups.
 */
export const PARTICIPANT_CODES = { ok: 200, privacy: 403, notFound: 404, notAcceptable: 406, conflict: 409, full: 500 } as const;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The server's side of groups: state, rules, notifications. The w:g2 IQs and the admin API both call it. */
export class GroupActions {
  readonly store: GroupStore;

  constructor(private readonly hub: Hub) {
    this.store = new GroupStore(hub.state);
  }

  group(jidOrId: string): GroupRecord {
    const group = this.store.get(jidOrId);
    if (!group) throw groupNotFound(jidOrId);
    return group;
  }

  /** The group, seen by one of its participants (anyone else: 403). */
  memberView(actor: AccountRecord, jidOrId: string): GroupRecord {
    const group = this.group(jidOrId);
    this.member(group, actor);
    return group;
  }

  create(actor: AccountRecord, subject: string, targets: GroupTarget[], opts: { addressingMode?: 'pn' | 'lid' } = {}) {
    const clean = checkSubject(subject);
    if (this.store.of(actor.phone).length >= LIMITS.groupsPerAccount)
      throw new GroupError(500, 'resource-limit', 'too_many_groups', `${actor.phone} is in ${LIMITS.groupsPerAccount} groups already`);
    if (this.store.list().length >= LIMITS.groups)
      throw new GroupError(500, 'resource-limit', 'too_many_groups', 'the emulator has as many groups as it keeps');
    const now = nowSeconds();
    const group: GroupRecord = {
      id: this.store.newId(),
      subject: clean,
      subjectOwner: actor.phone,
      subjectTime: now,
      owner: actor.phone,
      creation: now,
      addressingMode: opts.addressingMode ?? 'lid',
      participants: [{ phone: actor.phone, role: 'superadmin', joinedAt: new Date().toISOString() }],
      announce: false,
      locked: false,
      ephemeral: 0,
      memberAddMode: 'admin_add',
      joinApproval: false,
      inviteCode: newInviteCode(),
      requests: [],
    };
    const results = targets.map((t) => this.tryAdd(actor, group, t));
    this.store.add(group);
    this.changed();
    this.notify(group, actor, {
      tag: 'create',
      attrs: { reason: 'create', key: randomBytes(8).toString('hex').toUpperCase() },
      content: [groupNode(this.hub, group)],
    });
    return { group, results };
  }

  /** add, remove, promote, demote: one result per target (200, or its error code); the changes are notified to the members. */
  updateParticipants(actor: AccountRecord, group: GroupRecord, action: ParticipantAction, targets: GroupTarget[]): ParticipantResult[] {
    const me = this.member(group, actor);
    if (action === 'add' ? group.memberAddMode !== 'all_member_add' && !isAdmin(me) : !isAdmin(me))
      throw notAdmin(actor.phone, group.id, action === 'add' ? 'add participants (member add mode admin_add)' : `${action} participants`);
    if (action === 'add') {
      const results = targets.map((t) => this.tryAdd(actor, group, t));
      this.announceAdded(group, actor, results, {});
      return results;
    }
    const results: ParticipantResult[] = [];
    const changed: GroupParticipant[] = [];
    for (const t of targets) {
      const p = t.account ? participant(group, t.account.phone) : undefined;
      const phone = t.account?.phone;
      if (!p) {
        results.push({ jid: t.jid, ...(phone ? { phone } : {}), code: PARTICIPANT_CODES.notFound });
        continue;
      }
      if ((action === 'remove' || action === 'demote') && p.role === 'superadmin' && me.role !== 'superadmin' && p !== me) {
        results.push({ jid: t.jid, phone: p.phone, code: PARTICIPANT_CODES.notAcceptable });
        continue;
      }
      results.push({ jid: t.jid, phone: p.phone, code: PARTICIPANT_CODES.ok });
      if (!changed.includes(p)) changed.push(p);
    }
    if (changed.length === 0) return results;
    if (action === 'remove') {
      const before = this.members(group);
      group.participants = group.participants.filter((p) => !changed.includes(p));
      this.notify(group, actor, { tag: 'remove', attrs: {}, content: changed.map((p) => participantNode(this.hub, group, { phone: p.phone })) }, before);
      this.afterDeparture(group);
    } else {
      for (const p of changed)
        if (p.role !== 'superadmin' || action === 'demote') p.role = action === 'promote' ? (p.role === 'superadmin' ? p.role : 'admin') : 'member';
      this.notify(group, actor, { tag: action, attrs: {}, content: changed.map((p) => participantNode(this.hub, group, p)) });
    }
    this.changed();
    return results;
  }

  setSubject(actor: AccountRecord, group: GroupRecord, subject: string): void {
    this.editor(group, actor, 'change the subject of a locked group');
    group.subject = checkSubject(subject);
    group.subjectOwner = actor.phone;
    group.subjectTime = nowSeconds();
    this.changed();
    this.notify(group, actor, { tag: 'subject', attrs: { subject: group.subject, s_t: String(group.subjectTime) } });
  }

  /** A new description (text), or none (null). `prev`, when given, must name the current one (else 409, as WhatsApp). */
  setDescription(actor: AccountRecord, group: GroupRecord, text: string | null, prev?: string, id?: string): void {
    this.editor(group, actor, 'change the description of a locked group');
    if (prev !== undefined && prev !== (group.description?.id ?? ''))
      throw new GroupError(409, 'conflict', 'description_conflict', `the description changed since ${prev}: it is ${group.description?.id ?? 'none'}`);
    if (text !== null && text.length > LIMITS.groupDescriptionChars)
      throw new GroupError(400, 'bad-request', 'invalid_description', `a description has at most ${LIMITS.groupDescriptionChars} characters`);
    const newId = id ?? randomBytes(8).toString('hex').toUpperCase();
    if (text === null || text === '') {
      delete group.description;
      this.changed();
      this.notify(group, actor, { tag: 'description', attrs: { id: newId, delete: 'true' } });
      return;
    }
    group.description = { id: newId, text, owner: actor.phone, time: nowSeconds() };
    this.changed();
    this.notify(group, actor, { tag: 'description', attrs: { id: newId }, content: [{ tag: 'body', attrs: {}, content: Buffer.from(text, 'utf8') }] });
  }

  /** announcement / not_announcement (who sends), locked / unlocked (who edits the group info): admins only. */
  setSetting(actor: AccountRecord, group: GroupRecord, setting: GroupSetting): void {
    this.admin(group, actor, 'change the group settings');
    if (setting === 'announcement' || setting === 'not_announcement') group.announce = setting === 'announcement';
    else group.locked = setting === 'locked';
    this.changed();
    this.notify(group, actor, { tag: setting, attrs: {} });
  }

  /** Disappearing messages: seconds (0 turns them off). */
  setEphemeral(actor: AccountRecord, group: GroupRecord, seconds: number): void {
    this.editor(group, actor, 'change disappearing messages in a locked group');
    group.ephemeral = Math.max(0, Math.floor(seconds));
    this.changed();
    this.notify(group, actor, group.ephemeral > 0 ? { tag: 'ephemeral', attrs: { expiration: String(group.ephemeral) } } : { tag: 'not_ephemeral', attrs: {} });
  }

  setMemberAddMode(actor: AccountRecord, group: GroupRecord, mode: GroupRecord['memberAddMode']): void {
    this.admin(group, actor, 'change who can add participants');
    group.memberAddMode = mode;
    this.changed();
    this.notify(group, actor, { tag: 'member_add_mode', attrs: {}, content: mode });
  }

  setJoinApproval(actor: AccountRecord, group: GroupRecord, on: boolean): void {
    this.admin(group, actor, 'change the join approval mode');
    group.joinApproval = on;
    this.changed();
    this.notify(group, actor, joinApprovalNode(on));
  }

  inviteCode(actor: AccountRecord, group: GroupRecord): string {
    this.admin(group, actor, 'see the invite link');
    return group.inviteCode;
  }

  /** A new invite code; the old one joins nobody any more. Admins are told (Baileys: groups.update inviteCode). */
  revokeInvite(actor: AccountRecord, group: GroupRecord): string {
    this.admin(group, actor, 'reset the invite link');
    const code = this.store.revokeInvite(group);
    this.changed();
    this.notify(group, actor, { tag: 'invite', attrs: { code } }, this.admins(group));
    return code;
  }

  /** The group an invite code opens (406 for an unknown or revoked code). */
  byInvite(code: string): GroupRecord {
    const group = this.store.byInviteCode(code);
    if (!group) throw new GroupError(406, 'not-acceptable', 'invalid_invite_code', 'no group has this invite code (unknown or revoked)');
    return group;
  }

  /**
   * Joins by invite code; with join approval on, asks to join instead (the admins are told,
   * Baileys: group.join-request). A participant joining again changes nothing.
   */
  acceptInvite(actor: AccountRecord, code: string): { group: GroupRecord; state: 'joined' | 'already_participant' | 'requested' } {
    const group = this.byInvite(code);
    if (participant(group, actor.phone)) return { group, state: 'already_participant' };
    if (group.joinApproval) {
      if (!group.requests.some((r) => r.phone === actor.phone)) {
        group.requests.push({ phone: actor.phone, at: nowSeconds(), method: 'invite_link' });
        if (group.requests.length > LIMITS.groupJoinRequests) group.requests.splice(0, group.requests.length - LIMITS.groupJoinRequests);
        this.changed();
        this.notify(
          group,
          actor,
          { tag: 'created_membership_requests', attrs: { request_method: 'invite_link' }, content: [participantNode(this.hub, group, { phone: actor.phone })] },
          this.admins(group),
        );
      }
      return { group, state: 'requested' };
    }
    const full = this.roomFor(group, actor);
    if (full) throw new GroupError(500, 'resource-limit', 'group_full', full);
    this.join(group, actor, actor, 'invite');
    return { group, state: 'joined' };
  }

  /** Withdraws the account's own request to join (the admins are told: Baileys group.join-request "revoked"). */
  cancelRequest(actor: AccountRecord, group: GroupRecord): void {
    if (!group.requests.some((r) => r.phone === actor.phone))
      throw new GroupError(404, 'item-not-found', 'request_not_found', `${actor.phone} has not asked to join group ${group.id}`);
    group.requests = group.requests.filter((r) => r.phone !== actor.phone);
    this.changed();
    this.notify(
      group,
      actor,
      { tag: 'revoked_membership_requests', attrs: {}, content: [participantNode(this.hub, group, { phone: actor.phone })] },
      this.admins(group),
    );
  }

  requests(actor: AccountRecord, group: GroupRecord) {
    this.admin(group, actor, 'see the requests to join');
    return group.requests;
  }

  /** Approves (adds) or rejects pending requests to join; one result per target (404: no such request). */
  answerRequests(actor: AccountRecord, group: GroupRecord, action: 'approve' | 'reject', targets: GroupTarget[]): ParticipantResult[] {
    this.admin(group, actor, `${action} requests to join`);
    const results: ParticipantResult[] = [];
    for (const t of targets) {
      const requester = t.account;
      const pending = requester && group.requests.some((r) => r.phone === requester.phone);
      if (!requester || !pending) {
        results.push({ jid: t.jid, ...(requester ? { phone: requester.phone } : {}), code: PARTICIPANT_CODES.notFound });
        continue;
      }
      if (action === 'approve') {
        const full = this.roomFor(group, requester);
        if (full) {
          results.push({ jid: t.jid, phone: requester.phone, code: PARTICIPANT_CODES.full });
          continue;
        }
      }
      group.requests = group.requests.filter((r) => r.phone !== requester.phone);
      results.push({ jid: t.jid, phone: requester.phone, code: PARTICIPANT_CODES.ok });
      if (action === 'approve') this.join(group, requester, actor, 'request_approve');
      else
        this.notify(group, actor, { tag: 'revoked_membership_requests', attrs: {}, content: [participantNode(this.hub, group, { phone: requester.phone })] }, [
          ...this.admins(group),
          requester,
        ]);
    }
    this.changed();
    return results;
  }

  /** Leaves groups: the members (the leaver included) are told; the last admin leaving makes the longest member admin; an empty group goes. */
  leave(actor: AccountRecord, group: GroupRecord): void {
    const me = this.member(group, actor);
    const before = this.members(group);
    group.participants = group.participants.filter((p) => p !== me);
    this.changed();
    this.notify(group, actor, { tag: 'remove', attrs: {}, content: [participantNode(this.hub, group, { phone: actor.phone })] }, before);
    this.afterDeparture(group);
  }

  /** The accounts of the group's participants. */
  members(group: GroupRecord): AccountRecord[] {
    return group.participants.map((p) => this.hub.registry.get(p.phone)).filter((a): a is AccountRecord => a !== undefined);
  }

  participantOf(group: GroupRecord, account: AccountRecord): GroupParticipant | undefined {
    return participant(group, account.phone);
  }

  private admins(group: GroupRecord): AccountRecord[] {
    return group.participants
      .filter(isAdmin)
      .map((p) => this.hub.registry.get(p.phone))
      .filter((a): a is AccountRecord => a !== undefined);
  }

  private member(group: GroupRecord, actor: AccountRecord): GroupParticipant {
    const me = participant(group, actor.phone);
    if (!me) throw notParticipant(actor.phone, group.id);
    return me;
  }

  private admin(group: GroupRecord, actor: AccountRecord, what: string): void {
    if (!isAdmin(this.member(group, actor))) throw notAdmin(actor.phone, group.id, `may ${what}`);
  }

  /** Edits of the group info: any participant, admins only when the group is locked. */
  private editor(group: GroupRecord, actor: AccountRecord, what: string): void {
    const me = this.member(group, actor);
    if (group.locked && !isAdmin(me)) throw notAdmin(actor.phone, group.id, `may ${what}`);
  }

  /** Why the account cannot join the group, or undefined when it can. */
  private roomFor(group: GroupRecord, account: AccountRecord): string | undefined {
    if (group.participants.length >= LIMITS.groupParticipants) return `group ${group.id} has ${LIMITS.groupParticipants} participants`;
    if (this.store.of(account.phone).length >= LIMITS.groupsPerAccount) return `${account.phone} is in ${LIMITS.groupsPerAccount} groups`;
    return undefined;
  }

  /** Adds one target to the group if it may be (the change is not notified here). */
  private tryAdd(actor: AccountRecord, group: GroupRecord, t: GroupTarget): ParticipantResult {
    const account = t.account;
    if (!account) return { jid: t.jid, code: PARTICIPANT_CODES.notFound };
    const result = (code: number): ParticipantResult => ({ jid: t.jid, phone: account.phone, code });
    if (participant(group, account.phone)) return result(PARTICIPANT_CODES.conflict);
    if (!mayAdd(actor, account)) return result(PARTICIPANT_CODES.privacy);
    if (this.roomFor(group, account)) return result(PARTICIPANT_CODES.full);
    group.participants.push({ phone: account.phone, role: 'member', joinedAt: new Date().toISOString() });
    group.requests = group.requests.filter((r) => r.phone !== account.phone);
    return result(PARTICIPANT_CODES.ok);
  }

  /** Adds an account and tells everyone: the newcomer gets the group (create), every participant the add. */
  private join(group: GroupRecord, account: AccountRecord, actor: AccountRecord, reason: string): void {
    group.participants.push({ phone: account.phone, role: 'member', joinedAt: new Date().toISOString() });
    group.requests = group.requests.filter((r) => r.phone !== account.phone);
    this.changed();
    this.announceAdded(group, actor, [{ jid: '', phone: account.phone, code: 200 }], { reason });
  }

  private announceAdded(group: GroupRecord, actor: AccountRecord, results: ParticipantResult[], attrs: Record<string, string>): void {
    const added = results.filter((r) => r.code === 200 && r.phone).map((r) => this.hub.registry.get(r.phone!)!);
    if (added.length === 0) return;
    this.changed();
    this.notify(group, actor, { tag: 'create', attrs: { reason: attrs.reason ?? 'add' }, content: [groupNode(this.hub, group)] }, added);
    this.notify(group, actor, { tag: 'add', attrs, content: added.map((a) => participantNode(this.hub, group, { phone: a.phone })) });
  }

  /** After someone left or was removed: an admin remains (the longest member is made one), an empty group goes. */
  private afterDeparture(group: GroupRecord): void {
    if (group.participants.length === 0) {
      this.store.remove(group);
      this.changed();
      return;
    }
    if (group.participants.some(isAdmin)) return;
    const heir = group.participants[0]!;
    heir.role = 'admin';
    this.changed();
    this.notify(group, undefined, { tag: 'promote', attrs: {}, content: [participantNode(this.hub, group, heir)] });
  }

  private notify(group: GroupRecord, actor: AccountRecord | undefined, change: BinaryNode, recipients: Iterable<AccountRecord> = this.members(group)): void {
    notifyGroup(this.hub, group, actor, change, recipients);
  }

  private changed(): void {
    this.hub.saver.markDirty();
  }

  /** Something the groups depend on changed (an account's privacy): the state file is written. */
  changedState(): void {
    this.changed();
  }
}

/** The target's privacy ("who can add me to groups") lets `adder` add it. */
export function mayAdd(adder: AccountRecord, target: AccountRecord): boolean {
  const privacy = target.privacy;
  if (!privacy || privacy.groupAdd === 'everyone') return true;
  if (privacy.groupAdd === 'nobody') return false;
  return privacy.contacts.includes(adder.phone);
}

function checkSubject(subject: string): string {
  const clean = subject.trim();
  if (clean.length === 0 || clean.length > LIMITS.groupSubjectChars)
    throw new GroupError(400, 'bad-request', 'invalid_subject', `a subject has 1 to ${LIMITS.groupSubjectChars} characters`);
  return clean;
}
