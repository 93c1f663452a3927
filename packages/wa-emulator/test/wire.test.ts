import { describe, expect, it } from 'vitest';
import { Curve, decodeBinaryNode, encodeBinaryNode, makeNoiseHandler, NOISE_WA_HEADER, proto } from '@whiskeysockets/baileys';
import { buildCertChain } from '../src/wire/certificate.js';
import { encodeFrame, FrameReader } from '../src/wire/frames.js';
import { NoiseServerHandshake } from '../src/wire/noise.js';
import { parseQr } from '../src/linking/qr-linking.js';
import { silent } from './helpers.js';

describe('Noise XX server side against Baileys’ own client handler', () => {
  it('completes the handshake and exchanges transport frames both ways', async () => {
    const serverStatic = Curve.generateKeyPair();
    const root = Curve.generateKeyPair();
    const clientEphemeral = Curve.generateKeyPair();
    const clientNoiseKey = Curve.generateKeyPair();
    const client = makeNoiseHandler({ keyPair: clientEphemeral, NOISE_HEADER: NOISE_WA_HEADER, logger: silent as never });
    const server = new NoiseServerHandshake(serverStatic, buildCertChain(root, serverStatic));

    const serverHello = proto.HandshakeMessage.decode(server.respondToHello(clientEphemeral.public));
    const keyEnc = client.processHandshake(serverHello, clientNoiseKey);
    const payload = proto.ClientPayload.encode({ username: 15550000000, device: 3 }).finish();
    const payloadEnc = client.encrypt(payload);
    const finished = server.readFinish(keyEnc, payloadEnc);
    await client.finishInit();

    expect(Buffer.from(finished.clientStaticKey).equals(Buffer.from(clientNoiseKey.public))).toBe(true);
    expect(proto.ClientPayload.decode(finished.payload).device).toBe(3);

    // server -> client: a frame the client decodes into a binary node
    const node = { tag: 'success', attrs: { t: '1', lid: '1:3@lid' } };
    const frames: unknown[] = [];
    await client.decodeFrame(encodeFrame(finished.transport.encrypt(encodeBinaryNode(node))), (f) => frames.push(f));
    expect(frames).toEqual([node]);

    // client -> server: the server reads the client's encrypted frames after the intro header
    const reader = new FrameReader(1 << 20);
    const wire = client.encodeFrame(encodeBinaryNode({ tag: 'iq', attrs: { id: '1', type: 'get', xmlns: 'w:p' } }));
    const got = reader.push(Buffer.from(wire));
    expect(got).toHaveLength(1);
    expect(await decodeBinaryNode(finished.transport.decrypt(got[0]!))).toEqual({ tag: 'iq', attrs: { id: '1', type: 'get', xmlns: 'w:p' } });
  });

  it('signs its certificate chain with its own root (issuer serial 0)', () => {
    const root = Curve.generateKeyPair();
    const serverStatic = Curve.generateKeyPair();
    const chain = proto.CertChain.decode(buildCertChain(root, serverStatic));
    const intermediate = proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate!.details!);
    const leaf = proto.CertChain.NoiseCertificate.Details.decode(chain.leaf!.details!);
    expect(intermediate.issuerSerial).toBe(0);
    expect(Buffer.from(leaf.key!).equals(Buffer.from(serverStatic.public))).toBe(true);
  });
});

describe('small pieces', () => {
  it('splits frames that arrive in arbitrary chunks', () => {
    const reader = new FrameReader(1000);
    const stream = Buffer.concat([Buffer.from([87, 65, 6, 3]), encodeFrame(Buffer.from('abc')), encodeFrame(Buffer.from('defgh'))]);
    const out: string[] = [];
    for (let i = 0; i < stream.length; i += 2) out.push(...reader.push(stream.subarray(i, i + 2)).map((b) => b.toString()));
    expect(out).toEqual(['abc', 'defgh']);
    expect(() => new FrameReader(2).push(Buffer.concat([Buffer.from([87, 65, 6, 3]), encodeFrame(Buffer.from('abc'))]))).toThrow(/exceeds/);
  });

  it('parses the QR text Baileys shows', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const qr = parseQr(`https://wa.me/settings/linked_devices#2@ref,${key},${key},c2VjcmV0,WEB`);
    expect(qr.ref).toBe('2@ref');
    expect(qr.advSecret.toString()).toBe('secret');
    expect(() => parseQr('nonsense')).toThrow();
  });
});
