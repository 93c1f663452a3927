import { Curve, hkdf, sha256, aesEncryptGCM, aesDecryptGCM, NOISE_MODE, NOISE_WA_HEADER, proto } from '../baileys.js';
import type { KeyPair } from '../model.js';

const EMPTY = Buffer.alloc(0);

/** GCM nonce: a 32-bit big-endian counter in the last 4 bytes of a 12-byte IV. */
function nonce(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter >>> 0, 8);
  return iv;
}

/** Post-handshake cipher state of one connection, seen from the server. */
export class NoiseTransport {
  private writeCounter = 0;
  private readCounter = 0;
  constructor(
    private readonly encKey: Uint8Array,
    private readonly decKey: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesEncryptGCM(plaintext, this.encKey, nonce(this.writeCounter++), EMPTY);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesDecryptGCM(ciphertext, this.decKey, nonce(this.readCounter++), EMPTY);
  }
}

/**
 * Server side of Noise_XX_25519_AESGCM_SHA256 as WhatsApp Web runs it (the mirror of
 * Baileys' makeNoiseHandler): hello -> server hello with encrypted static and cert chain
 * -> client finish with encrypted static and ClientPayload.
 */
export class NoiseServerHandshake {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private readonly ephemeral: KeyPair = Curve.generateKeyPair();

  constructor(
    private readonly staticKey: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.byteLength === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
    this.authenticate(NOISE_WA_HEADER);
  }

  /** Answers the client hello; returns the encoded HandshakeMessage to send. */
  respondToHello(clientEphemeral: Uint8Array): Uint8Array {
    this.authenticate(clientEphemeral);
    this.authenticate(this.ephemeral.public);
    this.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
    const encStatic = this.encrypt(this.staticKey.public);
    this.mixIntoKey(Curve.sharedKey(this.staticKey.private, clientEphemeral));
    const encPayload = this.encrypt(this.certChain);
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: encStatic, payload: encPayload },
    }).finish();
  }

  /** Reads the client finish; returns the client's static key, its payload and the transport. */
  readFinish(encStatic: Uint8Array, encPayload: Uint8Array): { clientStaticKey: Buffer; payload: Buffer; transport: NoiseTransport } {
    const clientStaticKey = this.decrypt(encStatic);
    this.mixIntoKey(Curve.sharedKey(this.ephemeral.private, clientStaticKey));
    const payload = this.decrypt(encPayload);
    const [write, read] = this.split(EMPTY);
    // the client writes with `write` and reads with `read`; the server is its mirror
    return { clientStaticKey, payload, transport: new NoiseTransport(read, write) };
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  private split(data: Uint8Array): [Buffer, Buffer] {
    const out = Buffer.from(hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' }));
    return [out.subarray(0, 32), out.subarray(32)];
  }

  private mixIntoKey(data: Uint8Array): void {
    const [write, read] = this.split(data);
    this.salt = write;
    this.key = read;
    this.counter = 0;
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const result = aesEncryptGCM(plaintext, this.key, nonce(this.counter++), this.hash);
    this.authenticate(result);
    return result;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const result = aesDecryptGCM(ciphertext, this.key, nonce(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return result;
  }
}
