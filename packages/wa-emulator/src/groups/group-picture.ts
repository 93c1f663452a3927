import { randomInt } from 'node:crypto';
import { userJid } from '../accounts.js';
import type { BinaryNode } from '../baileys.js';
import type { AccountRecord, GroupRecord } from '../model.js';
import type { Hub } from '../wire/hub.js';
import type { IqRoutes } from '../wire/iq-handlers.js';
import { bytes, iqError, iqResult } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import type { GroupActions } from './group-actions.js';
import { GroupError, notAdmin, notParticipant } from './group-error.js';
import { notifyGroup } from './group-notify.js';
import { GROUP_SERVER, groupJid, isAdmin, participant } from './group-store.js';

/** WhatsApp's group pictures are small JPEGs (Baileys sends 640×640 at quality 50). */
export const MAX_GROUP_PICTURE_BYTES = 1024 * 1024;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Where a group picture is served: the media host's `/pps/g/<group id>/<picture id>.jpg`. */
export const groupPicturePath = (group: GroupRecord): string | undefined => (group.picture ? `/pps/g/${group.id}/${group.picture.id}.jpg` : undefined);

/**
 * Group pictures, as Baileys' updateProfilePicture, removeProfilePicture and profilePictureUrl
 * ask for them with a group `target`: any participant sets or removes it (admins only when
 * the group is locked), every participant device is told by a `picture` notification
 * (`<set jid id author>` or `<delete jid author>`), and anyone asks for its URL.
 */
export class GroupPictures {
  constructor(
    private readonly hub: Hub,
    private readonly groups: GroupActions,
  ) {}

  set(actor: AccountRecord, group: GroupRecord, jpeg: Buffer): void {
    this.editor(actor, group);
    if (jpeg.length === 0 || jpeg.length > MAX_GROUP_PICTURE_BYTES)
      throw new GroupError(400, 'bad-request', 'invalid_picture', `a group picture has 1 to ${MAX_GROUP_PICTURE_BYTES} bytes`);
    const id = String(randomInt(1_000_000_000, 2_000_000_000));
    group.picture = { id, jpeg, setBy: actor.phone, time: nowSeconds() };
    this.hub.saver.markDirty();
    this.notify(group, actor, { tag: 'set', attrs: { jid: groupJid(group), id, author: userJid(actor, group.addressingMode) } });
  }

  remove(actor: AccountRecord, group: GroupRecord): void {
    this.editor(actor, group);
    if (!group.picture) return;
    delete group.picture;
    this.hub.saver.markDirty();
    this.notify(group, actor, { tag: 'delete', attrs: { jid: groupJid(group), author: userJid(actor, group.addressingMode) } });
  }

  /** The bytes the media host serves for a picture path's group and id (a replaced picture's old id: none). */
  bytesOf(groupId: string, pictureId: string): Buffer | undefined {
    const picture = this.groups.store.get(groupId)?.picture;
    return picture?.id === pictureId ? picture.jpeg : undefined;
  }

  private editor(actor: AccountRecord, group: GroupRecord): void {
    const me = participant(group, actor.phone);
    if (!me) throw notParticipant(actor.phone, group.id);
    if (group.locked && !isAdmin(me)) throw notAdmin(actor.phone, group.id, 'may change the picture of a locked group');
  }

  private notify(group: GroupRecord, actor: AccountRecord, change: BinaryNode): void {
    notifyGroup(this.hub, group, actor, change, this.groups.members(group), 'picture');
  }
}

/**
 * The `w:profile:picture` IQs with a group target. Others (a user's own picture, a contact's)
 * keep the wire's answer: no picture (404).
 */
export function groupPictureIqRoutes(hub: Hub, groups: GroupActions, pictures: GroupPictures, mediaUrl: () => string): IqRoutes {
  const groupOf = (iq: BinaryNode): GroupRecord | undefined => {
    const target = iq.attrs.target ?? '';
    return target.endsWith(`@${GROUP_SERVER}`) ? groups.group(target) : undefined;
  };
  const answer = (iq: BinaryNode, work: () => BinaryNode[] | undefined): BinaryNode => {
    try {
      return iqResult(iq, work());
    } catch (err) {
      if (!(err instanceof GroupError)) throw err;
      hub.logger.debug({ target: iq.attrs.target, code: err.iqCode, reason: err.message }, 'group picture iq refused');
      return iqError(iq, err.iqCode, err.iqText);
    }
  };
  const set = (session: WireSession, iq: BinaryNode): BinaryNode => {
    const child = Array.isArray(iq.content) ? iq.content.find((c) => c.tag === 'picture') : undefined;
    return answer(iq, () => {
      const group = groupOf(iq);
      // the account's own picture is not emulated
      if (!group) throw new GroupError(400, 'bad-request', 'not_emulated', 'only group pictures are emulated');
      if (child) pictures.set(session.account!, group, bytes(child) ?? Buffer.alloc(0));
      else pictures.remove(session.account!, group);
      return child ? [{ tag: 'picture', attrs: { id: group.picture!.id } }] : undefined;
    });
  };
  return {
    'w:profile:picture get picture': {
      handle: (_session, iq) =>
        answer(iq, () => {
          const group = groupOf(iq);
          const path = group ? groupPicturePath(group) : undefined;
          if (!group?.picture || !path) throw new GroupError(404, 'item-not-found', 'no_picture', 'no picture');
          return [{ tag: 'picture', attrs: { id: group.picture.id, type: 'image', url: `${mediaUrl()}${path}`, direct_path: path } }];
        }),
    },
    'w:profile:picture set picture': { handle: set },
    'w:profile:picture set -': { handle: set },
  };
}
