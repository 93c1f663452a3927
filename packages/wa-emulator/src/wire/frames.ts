/** Splits the client byte stream into WhatsApp frames: an intro header once, then 3-byte big-endian lengths. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private sawIntro = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns the complete frames. Throws on a malformed stream. */
  push(data: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    if (!this.sawIntro && !this.consumeIntro()) return [];
    const frames: Buffer[] = [];
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0]! << 16) | (this.buffer[1]! << 8) | this.buffer[2]!;
      if (size > this.maxFrameBytes) throw new Error(`frame of ${size} bytes exceeds the limit`);
      if (this.buffer.length < size + 3) break;
      frames.push(this.buffer.subarray(3, size + 3));
      this.buffer = this.buffer.subarray(size + 3);
    }
    return frames;
  }

  /** 'WA' 6 3, optionally preceded by 'ED' 0 1 + 3-byte length + routing info. */
  private consumeIntro(): boolean {
    let offset = 0;
    if (this.buffer.length >= 2 && this.buffer.toString('latin1', 0, 2) === 'ED') {
      if (this.buffer.length < 7) return false;
      const len = (this.buffer[4]! << 16) | this.buffer.readUInt16BE(5);
      offset = 7 + len;
    }
    if (this.buffer.length < offset + 4) return false;
    if (this.buffer.toString('latin1', offset, offset + 2) !== 'WA') throw new Error('bad intro header');
    this.buffer = this.buffer.subarray(offset + 4);
    this.sawIntro = true;
    return true;
  }
}

export function encodeFrame(data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(3 + data.byteLength);
  frame[0] = (data.byteLength >>> 16) & 0xff;
  frame[1] = (data.byteLength >>> 8) & 0xff;
  frame[2] = data.byteLength & 0xff;
  frame.set(data, 3);
  return frame;
}
