import { createCipheriv, createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { downloadMediaMessage, getMediaKeys, type WAMessage } from '../baileys.js';
import { LIMITS, type MediaInfo, type MessageBody } from '../model.js';
import type { BlobStore, StoredBlob } from '../media/blob-store.js';
import type { MediaTrust } from '../media/trust.js';

/** What the phones need of the emulator's media: the blob store and the trust of the media host. */
export interface MediaAccess {
  readonly store: BlobStore;
  readonly trust: MediaTrust;
  readonly host: { directPathOf(key: string): string };
}

/** The HKDF media type of each media proto field (a voice note is audio). */
const HKDF_TYPES: Record<string, 'image' | 'video' | 'audio' | 'document' | 'sticker'> = {
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};

/**
 * The phone's media: what it sent and what it downloaded and decrypted are kept in the media
 * store under their SHA-256 (one copy however many records name them), as the record's
 * `media.sha256`; records keep only the metadata.
 */
export class PhoneMedia {
  constructor(
    private readonly access: MediaAccess,
    private readonly logger: Logger,
    private readonly changed: () => void,
  ) {}

  get fetchAgent(): MediaTrust['fetchAgent'] {
    return this.access.trust.fetchAgent;
  }

  /** Keeps the bytes the phone is about to send; answers their SHA-256 (hex). */
  async keepSent(bytes: Buffer): Promise<string> {
    return (await this.access.store.put('plain', [bytes], { maxBytes: LIMITS.mediaUploadBytes })).key;
  }

  /**
   * Downloads and decrypts a received media message as any WhatsApp client does (Baileys'
   * downloadMediaMessage from the media host, trusting its certificate), keeps the bytes, and
   * sets the record's media state: `downloaded` (with sha256 and size), or `failed` with the error
   * (the host answered an error, the bytes did not decrypt, or they are not what fileSha256 says).
   */
  async download(media: MediaInfo, message: WAMessage): Promise<void> {
    try {
      const stream = await downloadMediaMessage(message, 'stream', { options: { dispatcher: this.access.trust.dispatcher } });
      const { key, size } = await this.access.store.put('plain', stream, { maxBytes: LIMITS.mediaUploadBytes });
      media.sha256 = key;
      media.size = size;
      if (media.fileSha256 && media.fileSha256 !== key) throw new Error(`the decrypted bytes have SHA-256 ${key}, the message declares ${media.fileSha256}`);
      media.state = 'downloaded';
      delete media.error;
    } catch (err) {
      this.logger.debug({ err, id: message.key.id }, 'media download failed');
      media.state = 'failed';
      media.error = describeError(err);
    }
    this.changed();
  }

  /**
   * Uploads again the encrypted blob of media this phone sent, as a phone does when a
   * recipient asks (WhatsApp's media re-upload request): the kept bytes encrypted again with
   * the message's media key, which gives the same blob, so the same direct path. Answers it, or
   * undefined when the phone no longer has the bytes.
   */
  async reupload(record: MessageBody, protoKey: string, mediaKey: Uint8Array): Promise<string | undefined> {
    const plain = this.bytesOf(record);
    const type = HKDF_TYPES[protoKey];
    if (!plain || !type) return undefined;
    const { cipherKey, iv, macKey } = await getMediaKeys(mediaKey, type);
    if (!macKey) return undefined;
    const { key } = await this.access.store.put('enc', encryptMedia(plain.read(), cipherKey, iv, macKey), { maxBytes: LIMITS.mediaUploadBytes });
    return this.access.host.directPathOf(key);
  }

  /** The bytes a record's media names, when the phone has them. */
  bytesOf(record: MessageBody): StoredBlob | undefined {
    const sha = record.media?.sha256;
    return sha && (record.media?.state === 'downloaded' || record.media?.state === 'uploaded') ? this.access.store.get('plain', sha) : undefined;
  }
}

/** WhatsApp's media encryption: AES-256-CBC, then the first 10 bytes of HMAC-SHA256(iv | ciphertext). */
async function* encryptMedia(plain: AsyncIterable<Buffer>, cipherKey: Uint8Array, iv: Uint8Array, macKey: Uint8Array): AsyncGenerator<Buffer> {
  const aes = createCipheriv('aes-256-cbc', cipherKey, iv);
  const hmac = createHmac('sha256', macKey).update(iv);
  for await (const chunk of plain) {
    const enc = aes.update(chunk);
    hmac.update(enc);
    yield enc;
  }
  const last = aes.final();
  hmac.update(last);
  yield last;
  yield hmac.digest().subarray(0, 10);
}

function describeError(err: unknown): string {
  const e = err as { message?: string; output?: { statusCode?: number }; cause?: { code?: string; message?: string } };
  const status = e.output?.statusCode;
  const cause = e.cause?.code ?? e.cause?.message;
  return [e.message ?? String(err), status ? `(HTTP ${status})` : '', cause ? `(${cause})` : ''].filter(Boolean).join(' ').slice(0, 500);
}
