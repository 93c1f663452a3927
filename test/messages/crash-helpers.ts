import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between WUTS and the emulator's WebSocket port. It forwards bytes
 * untouched (the WhatsApp traffic inside is Noise-encrypted; the proxy never decrypts it), and
 * can freeze either direction of the connections open now: from then on the bytes going that
 * way are held back for good. Connections opened later are not frozen.
 *
 * Going up (WUTS → emulator) it also splits the stream into WebSocket frames, so a test can see
 * how many frames WUTS wrote after a freeze, and how big they were (Baileys writes each Noise
 * frame, one stanza, as one WebSocket message).
 */
export interface TcpProxy {
  /** ws://127.0.0.1:port/ws/chat through the proxy */
  wsUrl: string;
  /** Holds back every byte from the emulator to the connections open now; answers how many. */
  freezeDownstream(): number;
  /** Holds back every byte from the connections open now to the emulator; answers how many. */
  freezeUpstream(): number;
  /** Bytes held back so far, each way. */
  held(): { down: number; up: number };
  /** Payload sizes of the WebSocket frames WUTS wrote that were held back (upstream freeze). */
  heldUpFrames(): number[];
  close(): Promise<void>;
}

/** Splits a client → server WebSocket byte stream (after the HTTP upgrade) into frames. */
class WsFrameSplitter {
  private buf = Buffer.alloc(0);
  private headerDone = false;

  /** Feeds bytes; calls `frame` with each complete frame's payload length. */
  push(chunk: Buffer, frame: (payloadLength: number) => void): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.headerDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.buf = this.buf.subarray(end + 4);
      this.headerDone = true;
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const b1 = this.buf[1]!;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (b1 & 0x80) at += 4; // mask
      if (this.buf.length < at + len) return;
      this.buf = this.buf.subarray(at + len);
      frame(len);
    }
  }
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  downFrozen: boolean;
  upFrozen: boolean;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const held = { down: 0, up: 0 };
  const heldUpFrames: number[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, downFrozen: false, upFrozen: false };
    pairs.add(pair);
    const splitter = new WsFrameSplitter();
    client.on('data', (d) => {
      // frames are counted as held when their last byte arrives after the freeze
      splitter.push(d, (len) => pair.upFrozen && heldUpFrames.push(len));
      if (pair.upFrozen) held.up += d.length;
      else upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (pair.downFrozen) held.down += d.length;
      else client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    wsUrl: `ws://127.0.0.1:${port}/ws/chat`,
    freezeDownstream() {
      for (const p of pairs) p.downFrozen = true;
      return pairs.size;
    },
    freezeUpstream() {
      for (const p of pairs) p.upFrozen = true;
      return pairs.size;
    },
    held: () => ({ ...held }),
    heldUpFrames: () => [...heldUpFrames],
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) {
          p.client.destroy();
          p.upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
