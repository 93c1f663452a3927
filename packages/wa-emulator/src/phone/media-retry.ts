import type { Logger } from 'pino';
import { userJid } from '../accounts.js';
import { aesDecryptGCM, aesEncryptGCM, getBinaryNodeChild, hkdf, proto, type BinaryNode } from '../baileys.js';
import type { AccountRecord } from '../model.js';
import type { Hub } from '../wire/hub.js';
import { bytes, unixNow } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import { contentKind, storedContent } from './message-content.js';
import type { AccountPhone } from './phone.js';

const { ResultType } = proto.MediaRetryNotification;

/**
 * WhatsApp's media re-upload request, as Baileys' `updateMediaMessage` makes it when a
 * download answered 404 or 410: `<receipt type="server-error" id=MSG>` with `<encrypt>`
 * (a ServerErrorReceipt naming the message, AES-GCM under HKDF(mediaKey, "WhatsApp Media Retry
 * Notification")) and `<rmr jid=CHAT from_me=...>`. WhatsApp asks the sender's phone; here
 * the sending account's phone (an emulator account) uploads the blob again from the bytes it
 * kept, and the requesting device gets `<notification type="mediaretry" id=MSG>` with the
 * encrypted MediaRetryNotification (the direct path), or with `<error code=...>` (2: not found,
 * 3: the request did not decrypt), which Baileys turns into `messages.media-update`.
 */
export async function answerMediaRetry(
  hub: Hub,
  phoneOf: (account: AccountRecord) => AccountPhone,
  session: WireSession,
  node: BinaryNode,
  logger: Logger,
): Promise<void> {
  const requester = session.account;
  const deviceId = session.deviceId;
  const id = node.attrs.id;
  const rmr = getBinaryNodeChild(node, 'rmr');
  if (!requester || deviceId === undefined || !id || !rmr) return;
  const answer = (content: BinaryNode[]): void => {
    const rmrAttrs = Object.fromEntries(Object.entries(rmr.attrs).filter(([, v]) => v !== undefined && v !== ''));
    hub.deliver(requester, deviceId, {
      tag: 'notification',
      attrs: { id, type: 'mediaretry', from: userJid(requester, 'pn'), t: unixNow() },
      content: [...content, { tag: 'rmr', attrs: rmrAttrs }],
    });
  };
  const fail = (code: number, why: string): void => {
    logger.info({ id, code, why, requester: requester.phone }, 'media re-upload request not served');
    answer([{ tag: 'error', attrs: { code: String(code) } }]);
  };

  // the sender: the chat's other side, or the requester's own account for its own message
  const sender = rmr.attrs.from_me === 'true' ? requester : hub.registry.resolve(rmr.attrs.jid ?? '')?.account;
  const phone = sender && phoneOf(sender);
  const record = phone?.book.findSent(id);
  const message = record?.media ? storedContent(record) : undefined;
  const { key, inner } = contentKind(message);
  const media = key && inner ? (inner[key] as { mediaKey?: Uint8Array | null } | null | undefined) : undefined;
  if (!phone || !record || !key || !media?.mediaKey?.length) return fail(ResultType.NOT_FOUND, 'no media message of an emulator account with this id');

  const retryKey = hkdf(media.mediaKey, 32, { info: 'WhatsApp Media Retry Notification' });
  const encrypt = getBinaryNodeChild(node, 'encrypt');
  const ciphertext = bytes(getBinaryNodeChild(encrypt, 'enc_p'));
  const iv = bytes(getBinaryNodeChild(encrypt, 'enc_iv'));
  try {
    if (!ciphertext || !iv) throw new Error('no encrypt');
    const request = proto.ServerErrorReceipt.decode(aesDecryptGCM(ciphertext, retryKey, iv, Buffer.from(id)));
    if (request.stanzaId !== id) throw new Error('another message id');
  } catch {
    return fail(ResultType.DECRYPTION_ERROR, 'the request did not decrypt with the media key');
  }

  const directPath = await phone.media.reupload(record, key, media.mediaKey);
  if (!directPath) return fail(ResultType.NOT_FOUND, 'the sending phone no longer has the bytes');
  const notification = proto.MediaRetryNotification.encode({ stanzaId: id, directPath, result: ResultType.SUCCESS }).finish();
  const replyIv = Buffer.from(crypto.getRandomValues(new Uint8Array(12)));
  const encrypted = aesEncryptGCM(notification, retryKey, replyIv, Buffer.from(id));
  logger.debug({ id, directPath, requester: requester.phone }, 'media uploaded again on request');
  answer([
    {
      tag: 'encrypt',
      attrs: {},
      content: [
        { tag: 'enc_p', attrs: {}, content: encrypted },
        { tag: 'enc_iv', attrs: {}, content: replyIv },
      ],
    },
  ]);
}
