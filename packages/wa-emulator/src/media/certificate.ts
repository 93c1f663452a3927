import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

/** The media host's TLS identity: a self-signed certificate (its own CA) and its private key, PEM. */
export interface MediaCertificate {
  certPem: string;
  keyPem: string;
}

/** The names the media host answers to; the certificate carries them all as SANs. */
export const MEDIA_HOST_NAMES = { ip: '127.0.0.1', dns: 'localhost' } as const;

const VALID_DAYS = 3650;

/**
 * A new self-signed certificate for the media host: EC P-256, SANs 127.0.0.1 and localhost,
 * valid ten years. It is its own CA, so clients trust it by adding its PEM to their CAs.
 */
export async function generateMediaCertificate(): Promise<MediaCertificate> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'WUTS WhatsApp emulator media host' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + VALID_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: MEDIA_HOST_NAMES.ip },
          { type: 2, value: MEDIA_HOST_NAMES.dns },
        ],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

/** True while a stored certificate can still serve: parses, not expired within a day, names 127.0.0.1. */
export function stillValid(cert: MediaCertificate | undefined): cert is MediaCertificate {
  if (!cert?.certPem || !cert.keyPem) return false;
  try {
    const x509 = new X509Certificate(cert.certPem);
    return new Date(x509.validTo).getTime() > Date.now() + 86_400_000 && x509.checkIP(MEDIA_HOST_NAMES.ip) !== undefined;
  } catch {
    return false;
  }
}
