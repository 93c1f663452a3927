import { OggOpusDecoder } from 'ogg-opus-decoder';
import { badRequest } from '../lib/errors.js';

/** How many bars WhatsApp draws for a voice note. */
const WAVEFORM_BARS = 64;

export const VOICE_FORMATS = 'OGG/Opus (audio/ogg; codecs=opus)';

export interface VoiceNote {
  seconds: number;
  /** 64 values 0-100, base64: the bars WhatsApp shows */
  waveform: string;
}

const isOggOpus = (bytes: Buffer) => bytes.subarray(0, 4).toString('latin1') === 'OggS' && bytes.subarray(28, 36).toString('latin1') === 'OpusHead';

/**
 * The duration and waveform of a voice note, read by decoding it (WhatsApp plays voice notes
 * as OGG/Opus only). Anything else is a 400 naming the accepted format.
 */
export async function analyseVoiceNote(bytes: Buffer): Promise<VoiceNote> {
  if (!isOggOpus(bytes)) throw badRequest(`a voice note must be ${VOICE_FORMATS}; send other audio as type audio`, 'voice_format_not_supported');
  const decoder = new OggOpusDecoder();
  try {
    await decoder.ready;
    const decoded = await decoder.decodeFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const samples = decoded.channelData[0];
    if (!samples || decoded.samplesDecoded === 0)
      throw badRequest(`the voice note holds no audio WhatsApp can play (${VOICE_FORMATS})`, 'voice_format_not_supported');
    return { seconds: Math.max(1, Math.round(decoded.samplesDecoded / decoded.sampleRate)), waveform: waveformOf(samples) };
  } finally {
    decoder.free();
  }
}

/** Mean loudness per bar, scaled so the loudest bar is 100. */
export function waveformOf(samples: Float32Array): string {
  const block = Math.max(1, Math.floor(samples.length / WAVEFORM_BARS));
  const means: number[] = [];
  for (let bar = 0; bar < WAVEFORM_BARS; bar++) {
    let sum = 0;
    const start = bar * block;
    const end = Math.min(samples.length, start + block);
    for (let i = start; i < end; i++) sum += Math.abs(samples[i]!);
    means.push(end > start ? sum / (end - start) : 0);
  }
  const loudest = Math.max(...means);
  const bars = means.map((m) => (loudest > 0 ? Math.round((m / loudest) * 100) : 0));
  return Buffer.from(bars).toString('base64');
}
