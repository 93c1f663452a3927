import { Curve, proto } from '../baileys.js';
import type { KeyPair } from '../model.js';

/**
 * The emulator's own certificate chain: root -> intermediate (issuerSerial 0, as Baileys
 * 7.x requires) -> leaf naming the server's static Noise key. Clients verify the
 * intermediate against WA_CERT_DETAILS.PUBLIC_KEY, so a test may set that to `root.public`.
 */
export function buildCertChain(root: KeyPair, serverStatic: KeyPair): Uint8Array {
  const intermediateKey = Curve.generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediateKey.public,
    notBefore: now - 3600,
    notAfter: now + 10 * 365 * 86400,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: now - 3600,
    notAfter: now + 365 * 86400,
  }).finish();
  return proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediateKey.private, leafDetails) },
  }).finish();
}
