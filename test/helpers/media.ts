import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Bytes `file-type` recognises as a PNG (the signature, an IHDR chunk, an IDAT chunk's header), then `n` random bytes. */
export function pngBytes(n = 1000): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.concat([Buffer.from([0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(13, 1), Buffer.alloc(4)]);
  const idat = Buffer.concat([Buffer.alloc(4), Buffer.from('IDAT')]);
  idat.writeUInt32BE(n, 0);
  return Buffer.concat([signature, ihdr, idat, randomBytes(n)]);
}

export function pdfBytes(n = 1000): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(n)]);
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A multipart/form-data body with the given parts (a file part has a filename and a type). */
export function multipartBody(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]): { body: Buffer; contentType: string } {
  const boundary = '----wuts' + randomBytes(8).toString('hex');
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(head + '\r\n'), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The files of the filesystem media store under `dataDir`, relative to it (`tenants/<id>/<sha256>`, `tmp/...`). */
export function storedFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'media');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((p) => fs.statSync(path.join(root, p)).isFile())
    .map((p) => p.split(path.sep).join('/'))
    .sort();
}
