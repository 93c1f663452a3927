import type { MediaInfo, MessageBody, ReceivedMessage, SentMessage } from '../model.js';
import type { ActionResult } from '../phone/phone-actions.js';

/** `{success: true, ...body}`: every admin answer that is not an error. */
export const ok = <T extends Record<string, unknown>>(body: T) => ({ success: true as const, ...body });

/** How the admin API shows stored messages (snake_case, as in the schemas of message-schemas.ts). */
function bodyView(m: MessageBody) {
  return {
    type: m.type ?? 'text',
    text: m.text,
    ...(m.location ? { location: m.location } : {}),
    ...(m.contact ? { contact: m.contact } : {}),
    ...(m.poll ? { poll: { name: m.poll.name, options: m.poll.options, selectable_count: m.poll.selectableCount } } : {}),
    ...(m.media ? { media: mediaView(m.media) } : {}),
    ...(m.quotedId ? { quoted_id: m.quotedId } : {}),
    ...(m.mentions ? { mentions: m.mentions } : {}),
    ...(m.mentionAll ? { mention_all: true } : {}),
    ...(m.targetId ? { target_id: m.targetId } : {}),
    edited: m.edited === true,
    deleted: m.deleted === true,
    reactions: m.reactions ?? [],
    ...(m.poll ? { votes: m.votes ?? [] } : {}),
  };
}

export function mediaView(m: MediaInfo) {
  return {
    mime_type: m.mimeType,
    size: m.size,
    ...(m.sha256 ? { sha256: m.sha256 } : {}),
    ...(m.fileSha256 ? { file_sha256: m.fileSha256 } : {}),
    ...(m.fileName !== undefined ? { filename: m.fileName } : {}),
    ...(m.caption !== undefined ? { caption: m.caption } : {}),
    ...(m.ptt !== undefined ? { ptt: m.ptt } : {}),
    ...(m.seconds !== undefined ? { seconds: m.seconds } : {}),
    view_once: m.viewOnce === true,
    ...(m.directPath ? { direct_path: m.directPath } : {}),
    ...(m.thumbnailBytes ? { thumbnail_bytes: m.thumbnailBytes } : {}),
    ...(m.waveform ? { waveform: m.waveform } : {}),
    ...(m.dimensions ? { width: m.dimensions.width, height: m.dimensions.height } : {}),
    state: m.state,
    ...(m.error ? { error: m.error } : {}),
  };
}

export function receivedView(m: ReceivedMessage) {
  return { id: m.id, from: m.from, from_jid: m.fromJid, ...(m.group ? { group: m.group } : {}), ...bodyView(m), timestamp: m.timestamp, read: m.read };
}

export function sentView(m: SentMessage) {
  return {
    id: m.id,
    to: m.to,
    to_jid: m.toJid,
    ...bodyView(m),
    ...(m.receipts
      ? {
          receipts: Object.entries(m.receipts).map(([phone, r]) => ({
            phone,
            ...(r.deliveredAt ? { delivered_at: r.deliveredAt } : {}),
            ...(r.readAt ? { read_at: r.readAt } : {}),
          })),
        }
      : {}),
    status: m.status,
    timestamp: m.timestamp,
    updated_at: m.updatedAt,
    ...(m.error ? { error: m.error } : {}),
  };
}

export function actionView({ actionId, target }: ActionResult) {
  return ok({ action_id: actionId, direction: target.direction, message: target.direction === 'sent' ? sentView(target.record) : receivedView(target.record) });
}
