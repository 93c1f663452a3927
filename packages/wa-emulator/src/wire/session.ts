import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { decodeBinaryNode, encodeBinaryNode, proto, type BinaryNode } from '../baileys.js';
import { LIMITS, type AccountRecord, type KeyPair } from '../model.js';
import { encodeFrame, FrameReader } from './frames.js';
import { NoiseServerHandshake, type NoiseTransport } from './noise.js';
import type { TrafficLog } from './traffic.js';

export interface SessionHooks {
  /** the handshake finished: a registration or a login payload arrived */
  onClientPayload(session: WireSession, payload: proto.ClientPayload): Promise<void>;
  /** a stanza arrived after login or during pairing */
  onNode(session: WireSession, node: BinaryNode): Promise<void>;
  onClose(session: WireSession): void;
}

export interface PendingRegistration {
  refs: string[];
  identityKey: Uint8Array;
  registrationId: number;
  signedPreKey: { id: number; public: Uint8Array; signature: Uint8Array };
  platform: string;
}

let connectionCounter = 0;

/** One client WebSocket: the Noise handshake, then encrypted binary nodes both ways. */
export class WireSession {
  readonly number = ++connectionCounter;
  state: 'handshake' | 'pairing' | 'online' | 'closed' = 'handshake';
  clientStaticKey: Buffer | undefined;
  account: AccountRecord | undefined;
  deviceId: number | undefined;
  /** the jid the traffic log names this connection by */
  label: string;
  registration: PendingRegistration | undefined;
  /** the client said <presence type="available"> */
  available = false;

  private readonly reader = new FrameReader(LIMITS.frameBytes);
  private handshake: NoiseServerHandshake | undefined;
  private transport: NoiseTransport | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Map<string, { resolve: (node: BinaryNode) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private readonly idPrefix = randomBytes(3).toString('hex');
  private idCounter = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly hooks: SessionHooks,
    private readonly serverStatic: KeyPair,
    private readonly certChain: Uint8Array,
    private readonly traffic: TrafficLog,
    readonly logger: Logger,
  ) {
    this.label = `conn#${this.number}`;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return this.close();
      // frames are handled strictly in order; decodeBinaryNode is async
      this.chain = this.chain
        .then(() => this.receive(data))
        .catch((err: unknown) => {
          this.logger.warn({ err, conn: this.label }, 'closing connection after a bad frame');
          this.close();
        });
    });
    ws.on('close', () => this.closed());
    ws.on('error', () => this.closed());
  }

  nextId(): string {
    return `${this.idPrefix}.${++this.idCounter}`;
  }

  send(node: BinaryNode): void {
    if (this.state === 'closed' || !this.transport) return;
    this.traffic.record('out', this.label, node);
    const frame = encodeFrame(this.transport.encrypt(encodeBinaryNode(node)));
    this.ws.send(frame);
  }

  /** Sends a server-initiated iq and waits for the client's answer. */
  query(node: BinaryNode, timeoutMs: number): Promise<BinaryNode> {
    const id = node.attrs.id ?? this.nextId();
    node.attrs.id = id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`client did not answer iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send(node);
    });
  }

  /** Resolves a pending server query; false when the iq answers nothing we asked. */
  settleQuery(node: BinaryNode): boolean {
    const id = node.attrs.id;
    const waiter = id ? this.pending.get(id) : undefined;
    if (!waiter || !id) return false;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(node);
    return true;
  }

  /** `<failure reason=...>`: Baileys ends with that status (401 = logged out). */
  fail(reason: number): void {
    this.send({ tag: 'failure', attrs: { reason: String(reason), location: 'emulator' } });
    this.closeSoon();
  }

  /** `<stream:error>`: 515 restart required, or a child such as <conflict type="replaced"/>. */
  streamError(code: number | undefined, child?: BinaryNode): void {
    this.send({ tag: 'stream:error', attrs: code === undefined ? {} : { code: String(code) }, ...(child ? { content: [child] } : {}) });
    this.closeSoon();
  }

  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close();
    this.closed();
  }

  /** Lets the last frame leave before closing. */
  private closeSoon(): void {
    this.detachBeforeClose();
    setTimeout(() => this.close(), 50).unref();
  }

  private detachBeforeClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('connection closed'));
    }
    this.pending.clear();
    this.hooks.onClose(this);
  }

  private closed(): void {
    this.detachBeforeClose();
  }

  private async receive(data: Buffer): Promise<void> {
    for (const frame of this.reader.push(data)) {
      if (this.state === 'closed') return;
      if (this.transport) {
        const node = await decodeBinaryNode(this.transport.decrypt(frame));
        this.traffic.record('in', this.label, node);
        await this.hooks.onNode(this, node);
      } else {
        await this.onHandshakeFrame(frame);
      }
    }
  }

  private async onHandshakeFrame(frame: Buffer): Promise<void> {
    const message = proto.HandshakeMessage.decode(frame);
    if (!this.handshake) {
      const ephemeral = message.clientHello?.ephemeral;
      if (!ephemeral || ephemeral.length !== 32) throw new Error('expected a client hello');
      this.handshake = new NoiseServerHandshake(this.serverStatic, this.certChain);
      this.ws.send(encodeFrame(this.handshake.respondToHello(ephemeral)));
      return;
    }
    const finish = message.clientFinish;
    if (!finish?.static || !finish.payload) throw new Error('expected a client finish');
    const { clientStaticKey, payload, transport } = this.handshake.readFinish(finish.static, finish.payload);
    this.clientStaticKey = clientStaticKey;
    this.transport = transport;
    await this.hooks.onClientPayload(this, proto.ClientPayload.decode(payload));
  }
}
