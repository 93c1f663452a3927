import { Readable } from 'node:stream';
import type { Deps } from '../deps.js';
import { AppError, badRequest, notFound } from '../lib/errors.js';
import { findStoredMedia, ingestMedia, openMedia, type MediaView } from '../media/service.js';
import type { ResolvedMedia, SendBody } from './compose.js';
import { fetchMediaUrl } from './media-url.js';
import { convertToVoiceNote, encoderAvailable } from './voice-convert.js';
import { analyseVoiceNote, VOICE_FORMATS } from './voice-note.js';

type MediaSendType = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';

/** The MIME types WhatsApp shows for each type (a document may be anything). */
const ACCEPTED: Record<MediaSendType, readonly string[] | null> = {
  image: ['image/jpeg', 'image/png'],
  video: ['video/mp4', 'video/3gpp'],
  audio: ['audio/aac', 'audio/mp4', 'audio/mpeg', 'audio/amr', 'audio/ogg', 'audio/opus', 'audio/x-m4a'],
  voice: ['audio/ogg', 'audio/opus'],
  document: null,
  sticker: ['image/webp'],
};

const baseType = (mime: string) => mime.split(';')[0]!.trim().toLowerCase();

function maxBytesFor(deps: Deps, type: MediaSendType): number {
  const m = deps.config.mediaMaxBytes;
  return type === 'voice' ? m.audio : m[type];
}

/** Base64 or a data URL, decoded; the MIME type a data URL names. */
function decodeInline(data: string, limit: number): { bytes: Buffer; mimeType: string | undefined } {
  const match = /^data:([^;,]+)?(?:;[^,]*)?;base64,/i.exec(data);
  const payload = match ? data.slice(match[0].length) : data;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload.replace(/\s+/g, ''))) throw badRequest('media.data is not base64 (or a base64 data URL)', 'invalid_media_data');
  if (Math.floor((payload.length * 3) / 4) > limit + 3) throw new AppError(413, 'media_too_large', `media.data is more than ${limit} bytes`);
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length === 0) throw badRequest('media.data is empty', 'invalid_media_data');
  return { bytes, mimeType: match?.[1]?.toLowerCase() };
}

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new AppError(413, 'media_too_large', `the voice note is more than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Other audio sent as a voice note, re-encoded as OGG/Opus (a new file in the store) when ffmpeg is there. */
async function convertedVoice(deps: Deps, tenantId: string, view: MediaView, maxBytes: number): Promise<MediaView> {
  const kind = baseType(view.mime_type);
  if (!kind.startsWith('audio/') && !kind.startsWith('video/')) return view; // refused below as no audio at all
  if (!(await encoderAvailable(deps.config.ffmpegPath)))
    throw badRequest(
      `a voice note must be ${VOICE_FORMATS}; this file is ${view.mime_type}, and no encoder (ffmpeg) is installed to convert it`,
      'voice_format_not_supported',
    );
  const original = await openMedia(deps, tenantId, view.id);
  const converted = convertToVoiceNote(original.stream, { ffmpegPath: deps.config.ffmpegPath, timeoutMs: CONVERT_TIMEOUT_MS });
  return ingestMedia(deps, tenantId, converted, { declaredMimeType: 'audio/ogg', origin: 'data', maxBytes });
}

/** A voice note (at most WUTS_MAX_AUDIO_BYTES) converts in seconds; this bounds a stuck encoder. */
const CONVERT_TIMEOUT_MS = 60_000;

/**
 * The file of a media send, in WUTS's media store before the message is accepted: an upload
 * id (still valid), a URL fetched now, or inline base64. Checked against its type's formats
 * and size limit; a voice note's duration and waveform are read from its audio.
 */
export async function resolveSendMedia(deps: Deps, tenantId: string, body: SendBody): Promise<ResolvedMedia> {
  const type = body.type as MediaSendType;
  const source = body.media!;
  const maxBytes = maxBytesFor(deps, type);
  let view: MediaView;
  if (source.id !== undefined) {
    const found = await findStoredMedia(deps, tenantId, source.id);
    if (!found) throw notFound('media');
    view = found;
    if (view.size > maxBytes) throw new AppError(413, 'media_too_large', `a ${type} may be at most ${maxBytes} bytes; this file is ${view.size}`);
    if (body.mime_type && baseType(body.mime_type) !== baseType(view.mime_type))
      throw badRequest(`mime_type says ${body.mime_type} but the uploaded file is ${view.mime_type}`, 'media_type_mismatch');
  } else if (source.url !== undefined) {
    const fetched = await fetchMediaUrl(source.url, { allowPrivate: deps.config.allowPrivateWebhooks, timeoutMs: deps.config.mediaFetchTimeoutMs });
    view = await ingestMedia(deps, tenantId, fetched.body, {
      declaredMimeType: body.mime_type ?? fetched.contentType,
      filename: body.filename ?? fetched.filename,
      origin: 'url',
      maxBytes,
    });
  } else {
    const inline = decodeInline(source.data!, Math.min(maxBytes, deps.config.inlineMediaMaxBytes));
    view = await ingestMedia(deps, tenantId, Readable.from([inline.bytes]), {
      declaredMimeType: body.mime_type ?? inline.mimeType,
      filename: body.filename,
      origin: 'data',
      maxBytes,
    });
  }
  if (type === 'voice' && !ACCEPTED.voice!.includes(baseType(view.mime_type))) view = await convertedVoice(deps, tenantId, view, maxBytes);
  const accepted = ACCEPTED[type];
  if (accepted && !accepted.includes(baseType(view.mime_type))) {
    throw badRequest(
      type === 'voice'
        ? `a voice note must be ${VOICE_FORMATS}; this file is ${view.mime_type}`
        : `a ${type} must be one of ${accepted.join(', ')}; this file is ${view.mime_type}`,
      'media_type_not_allowed',
    );
  }
  const resolved: ResolvedMedia = { id: view.id, mime_type: view.mime_type, size: view.size, sha256: view.sha256, filename: view.filename };
  if (type === 'voice') {
    const opened = await openMedia(deps, tenantId, view.id);
    const note = await analyseVoiceNote(await readAll(opened.stream, maxBytes));
    return { ...resolved, mime_type: 'audio/ogg; codecs=opus', seconds: note.seconds, waveform: note.waveform };
  }
  return resolved;
}
