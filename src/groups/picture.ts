import type { Actor } from '../auth/actor.js';
import type { Deps } from '../deps.js';
import { isUuid } from '../lib/ids.js';
import { AppError, badRequest } from '../lib/errors.js';
import { openMedia } from '../media/service.js';
import { auditGroup, groupTarget, onWhatsApp } from './service.js';

/** WhatsApp shows group pictures as 640×640 JPEGs: larger files gain nothing. */
export const MAX_PICTURE_BYTES = 5 * 1024 * 1024;

const pictureTooLarge = () => new AppError(413, 'media_too_large', `a group picture is at most ${MAX_PICTURE_BYTES} bytes`);

function isImage(bytes: Buffer): boolean {
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return jpeg || png;
}

function decodeInline(data: string): Buffer {
  const base64 = data.replace(/^data:image\/(?:jpeg|png);base64,/, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw badRequest('data must be base64, or a data URL of a JPEG or PNG image', 'invalid_media');
  return Buffer.from(base64, 'base64');
}

async function readUpload(deps: Deps, tenantId: string, id: string): Promise<Buffer> {
  if (!isUuid(id)) throw badRequest('media_id must be the id POST /media answered', 'invalid_media');
  const { media, stream } = await openMedia(deps, tenantId, id.toLowerCase());
  if (media.size > MAX_PICTURE_BYTES) {
    stream.destroy();
    throw pictureTooLarge();
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function setPicture(
  deps: Deps,
  actor: Actor,
  deviceId: string,
  group: string,
  body: { data?: string | undefined; media_id?: string | undefined },
): Promise<void> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  const bytes = body.data !== undefined ? decodeInline(body.data) : await readUpload(deps, ctx.user.tenantId, body.media_id ?? '');
  if (bytes.length > MAX_PICTURE_BYTES) throw pictureTooLarge();
  if (!isImage(bytes)) throw badRequest('a group picture must be a JPEG or PNG image', 'media_type_mismatch');
  await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.setPicture(ctx.groupJid, bytes));
  await auditGroup(deps, ctx, 'group.picture.set', { group_jid: ctx.groupJid, bytes: bytes.length });
}

export async function removePicture(deps: Deps, actor: Actor, deviceId: string, group: string): Promise<void> {
  const ctx = await groupTarget(deps, actor, deviceId, group, 'groups.manage');
  await onWhatsApp(deps, ctx, ctx.groupJid, (g) => g.removePicture(ctx.groupJid));
  await auditGroup(deps, ctx, 'group.picture.remove', { group_jid: ctx.groupJid });
}
