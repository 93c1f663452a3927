import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { AppError } from '../lib/errors.js';

/** Whether the encoder runs, asked once per path (`ffmpeg -version`). */
const available = new Map<string, Promise<boolean>>();

export function encoderAvailable(ffmpegPath: string): Promise<boolean> {
  let known = available.get(ffmpegPath);
  if (!known) {
    known = new Promise<boolean>((resolve) => {
      const child = spawn(ffmpegPath, ['-version'], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('exit', (code) => resolve(code === 0));
    });
    available.set(ffmpegPath, known);
  }
  return known;
}

/**
 * Re-encodes audio (MP3, AAC, WAV, M4A, ...) as a voice note: OGG/Opus, mono, 48 kHz, 32 kb/s,
 * the format phones record. Streams through ffmpeg; the answer is its output, which fails with a
 * 400 when ffmpeg cannot read the input, and is cut off after `timeoutMs`.
 */
export function convertToVoiceNote(input: Readable, opts: { ffmpegPath: string; timeoutMs: number }): Readable {
  const child = spawn(
    opts.ffmpegPath,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      'pipe:0',
      '-vn',
      '-map_metadata',
      '-1',
      '-ac',
      '1',
      '-ar',
      '48000',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      '-f',
      'ogg',
      'pipe:1',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output = new PassThrough();
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  // ffmpeg may stop reading early (a file it cannot parse): the input's EPIPE is not the error to report
  child.stdin.on('error', () => {});
  input.on('error', (err) => child.kill('SIGKILL') && output.destroy(err));
  input.pipe(child.stdin);
  child.stdout.pipe(output, { end: false });
  child.on('error', (err) => output.destroy(err));
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    if (code === 0) return output.end();
    const why = signal ? `it was stopped after ${opts.timeoutMs} ms` : stderr.trim().split('\n').pop() || `ffmpeg exited with ${code}`;
    output.destroy(new AppError(400, 'voice_conversion_failed', `the audio could not be converted into a voice note: ${why}`));
  });
  return output;
}
