import { userJid, type Addressing } from '../accounts.js';
import type { BinaryNode } from '../baileys.js';
import type { AccountRecord, GroupParticipant, GroupRecord } from '../model.js';
import type { Hub } from '../wire/hub.js';

/**
 * How a group names a user: by LID in a LID-addressed group (`jid` a LID, `phone_number` its
 * phone-number jid), by phone-number jid otherwise (`lid` beside it), as WhatsApp's answers do.
 */
export function memberAttrs(account: AccountRecord, mode: Addressing): Record<string, string> {
  return mode === 'lid'
    ? { jid: userJid(account, 'lid'), phone_number: userJid(account, 'pn') }
    : { jid: userJid(account, 'pn'), lid: userJid(account, 'lid') };
}

/** Attributes naming a user under another name (`creator`, `s_o`, `participant`): the jid, and its other form as `<name>_pn` or `<name>_lid`. */
export function actorAttrs(name: string, account: AccountRecord, mode: Addressing): Record<string, string> {
  return mode === 'lid'
    ? { [name]: userJid(account, 'lid'), [`${name}_pn`]: userJid(account, 'pn') }
    : { [name]: userJid(account, 'pn'), [`${name}_lid`]: userJid(account, 'lid') };
}

export function participantNode(
  hub: Hub,
  group: GroupRecord,
  p: Pick<GroupParticipant, 'phone'> & Partial<GroupParticipant>,
  extra: Record<string, string> = {},
): BinaryNode {
  const account = hub.registry.get(p.phone);
  const attrs: Record<string, string> = account ? memberAttrs(account, group.addressingMode) : { jid: `${p.phone}@s.whatsapp.net` };
  if (p.role === 'admin' || p.role === 'superadmin') attrs.type = p.role;
  return { tag: 'participant', attrs: { ...attrs, ...extra } };
}

/** `<group ...>` as `w:g2` answers and the create notification carry it; Baileys reads it with extractGroupMetadata. */
export function groupNode(hub: Hub, group: GroupRecord, extraParticipants: BinaryNode[] = []): BinaryNode {
  const mode = group.addressingMode;
  const attrs: Record<string, string> = {
    id: group.id,
    subject: group.subject,
    s_t: String(group.subjectTime),
    creation: String(group.creation),
    size: String(group.participants.length),
    addressing_mode: mode,
  };
  const creator = hub.registry.get(group.owner);
  if (creator) Object.assign(attrs, actorAttrs('creator', creator, mode));
  const subjectOwner = hub.registry.get(group.subjectOwner);
  if (subjectOwner) Object.assign(attrs, actorAttrs('s_o', subjectOwner, mode));
  const content: BinaryNode[] = group.participants.map((p) => participantNode(hub, group, p));
  content.push(...extraParticipants);
  if (group.description) {
    const d = group.description;
    const owner = hub.registry.get(d.owner);
    content.push({
      tag: 'description',
      attrs: { id: d.id, t: String(d.time), ...(owner ? actorAttrs('participant', owner, mode) : {}) },
      content: [{ tag: 'body', attrs: {}, content: Buffer.from(d.text, 'utf8') }],
    });
  }
  if (group.announce) content.push({ tag: 'announcement', attrs: {} });
  if (group.locked) content.push({ tag: 'locked', attrs: {} });
  if (group.ephemeral > 0) content.push({ tag: 'ephemeral', attrs: { expiration: String(group.ephemeral) } });
  if (group.joinApproval) content.push(joinApprovalNode(true));
  content.push({ tag: 'member_add_mode', attrs: {}, content: group.memberAddMode });
  return { tag: 'group', attrs, content };
}

export function joinApprovalNode(on: boolean): BinaryNode {
  return { tag: 'membership_approval_mode', attrs: {}, content: [{ tag: 'group_join', attrs: { state: on ? 'on' : 'off' } }] };
}
