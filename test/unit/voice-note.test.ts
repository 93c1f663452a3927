import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import { analyseVoiceNote, waveformOf } from '../../src/messages/voice-note.js';

/** test/fixtures/voice-note.ogg: 2.5 s of a 440 Hz tone that swells twice (opusenc, 16 kb/s, mono). */
const VOICE = fs.readFileSync('test/fixtures/voice-note.ogg');

describe('voice notes', () => {
  it('reads the duration and a 64-bar waveform that follows the loudness', async () => {
    const note = await analyseVoiceNote(VOICE);
    expect(note.seconds).toBe(3); // 2.5 s, rounded as WhatsApp shows whole seconds
    const bars = [...Buffer.from(note.waveform, 'base64')];
    expect(bars).toHaveLength(64);
    expect(Math.max(...bars)).toBe(100);
    // the tone swells at 0.625 s and 1.875 s and fades at 0, 1.25 and 2.5 s
    expect(bars[16]!).toBeGreaterThan(80);
    expect(bars[48]!).toBeGreaterThan(80);
    expect(bars[32]!).toBeLessThan(30);
    expect(bars[0]!).toBeLessThan(30);
  });

  it('refuses what is not OGG/Opus with a 400 naming the format', async () => {
    const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(64)]);
    const err = await analyseVoiceNote(wav).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ statusCode: 400, code: 'voice_format_not_supported' });
    expect((err as Error).message).toContain('OGG/Opus');
  });

  it('draws silence as zero bars', () => {
    expect([...Buffer.from(waveformOf(new Float32Array(6400)), 'base64')]).toEqual(new Array(64).fill(0));
  });
});
