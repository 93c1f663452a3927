import https from 'node:https';
import type { Readable } from 'node:stream';
import { downloadContentFromMessage } from '@whiskeysockets/baileys';
import { Agent, type Dispatcher } from 'undici';
import type { MediaDownload } from '../messages.js';

/** How WhatsApp's media host is reached: its host, and, for a sandbox, the CA it is trusted by. */
export interface MediaHostOptions {
  host: string;
  caPem?: string | undefined;
}

/** Agents that trust only the given CA (uploads go through an https.Agent, downloads through fetch). */
export interface MediaTransport {
  host: string;
  fetchAgent: https.Agent | undefined;
  dispatcher: Dispatcher | undefined;
}

export function mediaTransport(options: MediaHostOptions): MediaTransport {
  if (!options.caPem) return { host: options.host, fetchAgent: undefined, dispatcher: undefined };
  return {
    host: options.host,
    fetchAgent: new https.Agent({ ca: options.caPem, keepAlive: true }),
    dispatcher: new Agent({ connect: { ca: options.caPem } }),
  };
}

/** A direct path as WhatsApp writes them: absolute, no host, no traversal. */
const DIRECT_PATH = /^\/[A-Za-z0-9._~\-/%?=&+]*$/;

export class MediaDownloadError extends Error {
  constructor(
    message: string,
    /** the media host no longer has it (WhatsApp expired it): ask the sender's phone again */
    readonly expired: boolean,
  ) {
    super(message);
    this.name = 'MediaDownloadError';
  }
}

/**
 * Opens a received media file, decrypted as it streams. Always from the configured media host
 * with the message's direct path: a message's `url` is the peer's to choose, and WUTS must not
 * fetch whatever address a peer names.
 */
export async function openReceivedMedia(download: MediaDownload, transport: MediaTransport): Promise<Readable> {
  if (!download.directPath || !DIRECT_PATH.test(download.directPath) || download.directPath.includes('..')) {
    throw new MediaDownloadError('the message carries no usable direct path to its file', false);
  }
  try {
    return await downloadContentFromMessage(
      { mediaKey: Buffer.from(download.mediaKey, 'base64'), directPath: download.directPath, url: `https://${transport.host}${download.directPath}` },
      download.mediaType,
      { host: transport.host, ...(transport.dispatcher ? { options: { dispatcher: transport.dispatcher } as unknown as RequestInit } : {}) } as Parameters<
        typeof downloadContentFromMessage
      >[2],
    );
  } catch (err) {
    const status = (err as { output?: { statusCode?: number } }).output?.statusCode;
    throw new MediaDownloadError(`downloading the file failed: ${(err as Error).message}`, status === 404 || status === 410);
  }
}
