import {
  areJidsSameUser,
  isJidGroup,
  jidNormalizedUser,
  proto,
  WAMessageStubType,
  type BaileysEventMap,
  type GroupMetadata,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { GroupEvent, GroupParticipantsChange, GroupPerson, GroupUpdateFields } from '../groups.js';
import type { GroupIdentities } from './group-identities.js';
import { toGroupInfo, toPerson } from './groups.js';

type ParticipantsUpdate = BaileysEventMap['group-participants.update'];
type JoinRequest = BaileysEventMap['group.join-request'];

const authorOf = (jid: string | null | undefined, alt?: string | null): GroupPerson | null => (jid ? toPerson(jid, alt) : null);

/** groups.update entries with a participant list are groupFetchAllParticipating's whole groups, not changes. */
export function changesOf(update: Partial<GroupMetadata>): GroupUpdateFields | undefined {
  if (update.participants) return undefined;
  const changes: GroupUpdateFields = {};
  if (update.subject !== undefined) changes.subject = update.subject;
  if ('desc' in update) changes.description = update.desc ?? null;
  if (update.announce !== undefined) changes.announce = update.announce;
  if (update.restrict !== undefined) changes.locked = update.restrict;
  if (update.memberAddMode !== undefined) changes.memberAddMode = update.memberAddMode ? 'all_members' : 'admins';
  if (update.joinApprovalMode !== undefined) changes.joinApproval = update.joinApprovalMode;
  return Object.keys(changes).length > 0 ? changes : undefined;
}

const ACTIONS: Record<string, GroupParticipantsChange> = { add: 'added', remove: 'removed', promote: 'promoted', demote: 'demoted' };

/** One user adding or removing itself joined (by link) or left. */
export function participantsEvent(u: ParticipantsUpdate): GroupEvent | undefined {
  let action = ACTIONS[u.action];
  if (!action) return undefined; // 'modify': a number change, not a membership change
  const participants = u.participants.map((p) => toPerson(p.id, p.phoneNumber ?? p.lid));
  const author = authorOf(u.author, u.authorPn);
  const self =
    participants.length === 1 && author && (areJidsSameUser(participants[0]!.jid, author.jid) || (author.lid !== null && author.lid === participants[0]!.lid));
  if (self && action === 'added') action = 'joined';
  if (self && action === 'removed') action = 'left';
  return { kind: 'participants', groupJid: jidNormalizedUser(u.id), author, action, participants };
}

function joinRequestEvent(r: JoinRequest): GroupEvent {
  return {
    kind: 'join_request',
    groupJid: jidNormalizedUser(r.id),
    author: authorOf(r.author, r.authorPn),
    participant: toPerson(r.participant, r.participantPn),
    action: r.action,
    method: r.method ?? null,
  };
}

/** Picture and disappearing-messages changes reach Baileys' listeners only as notification messages. */
export function fromNotificationMessage(m: WAMessage): GroupEvent | undefined {
  const groupJid = m.key.remoteJid;
  if (!groupJid || !isJidGroup(groupJid)) return undefined;
  const author = authorOf(m.key.participant ?? m.participant, m.key.participantAlt);
  if (m.messageStubType === WAMessageStubType.GROUP_CHANGE_ICON) {
    return { kind: 'updated', groupJid, author, changes: { picture: m.messageStubParameters?.length ? 'set' : 'removed' } };
  }
  const protocol = m.message?.protocolMessage;
  if (protocol?.type === proto.Message.ProtocolMessage.Type.EPHEMERAL_SETTING) {
    return { kind: 'updated', groupJid, author, changes: { ephemeralSeconds: protocol.ephemeralExpiration ?? 0 } };
  }
  return undefined;
}

/** Every party of the event with both its forms when the session knows them, after learning the pairs the event itself carries. */
function completed(event: GroupEvent, ids: GroupIdentities): GroupEvent {
  if (event.kind === 'created') for (const p of event.group.participants) ids.learn(p);
  if (event.kind === 'participants') for (const p of event.participants) ids.learn(p);
  if (event.kind === 'join_request') ids.learn(event.participant);
  const author = event.author ? ids.complete(event.author) : null;
  switch (event.kind) {
    case 'created':
      return { ...event, author, group: { ...event.group, participants: event.group.participants.map((p) => ({ ...ids.complete(p), role: p.role })) } };
    case 'participants':
      return { ...event, author, participants: event.participants.map((p) => ids.complete(p)) };
    case 'join_request':
      return { ...event, author, participant: ids.complete(event.participant) };
    case 'updated':
      return { ...event, author };
  }
}

/** Turns the socket's group events into WUTS's GroupEvent, one call to `emit` each. */
export function listenToGroupEvents(socket: WASocket, ids: GroupIdentities, emit: (event: GroupEvent) => void, logger: Logger): void {
  const safe = (event: GroupEvent | undefined) => {
    if (!event) return;
    try {
      emit(completed(event, ids));
    } catch (err) {
      logger.error({ err, kind: event.kind }, 'a group event handler threw');
    }
  };
  socket.ev.on('groups.upsert', (groups) => {
    for (const g of groups) safe({ kind: 'created', group: toGroupInfo(g), author: authorOf(g.author, g.authorPn) });
  });
  socket.ev.on('groups.update', (updates) => {
    for (const u of updates) {
      const changes = u.id ? changesOf(u) : undefined;
      if (changes) safe({ kind: 'updated', groupJid: jidNormalizedUser(u.id!), author: authorOf(u.author, u.authorPn), changes });
    }
  });
  socket.ev.on('group-participants.update', (u) => safe(participantsEvent(u)));
  socket.ev.on('group.join-request', (r) => safe(joinRequestEvent(r)));
  socket.ev.on('messages.upsert', ({ messages }) => {
    for (const m of messages) safe(fromNotificationMessage(m));
  });
}
