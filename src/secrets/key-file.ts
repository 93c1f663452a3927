import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseSecretKey, SECRET_KEY_BYTES } from '../lib/secret-box.js';

export interface SecretKeySource {
  key: Buffer;
  /** Where the generated key is kept; undefined when it came from WUTS_SECRET_KEY. */
  filePath: string | undefined;
  generated: boolean;
}

export function secretKeyPath(dataDir: string): string {
  return path.join(dataDir, 'secret-key');
}

/**
 * The secret key comes from WUTS_SECRET_KEY, or from a file in the data directory that the first
 * start creates with mode 0600 (base64 of 32 random bytes), as the master token does. The key is
 * never printed or logged.
 */
export function loadSecretKey(fromEnv: Buffer | undefined, dataDir: string): SecretKeySource {
  if (fromEnv) return { key: fromEnv, filePath: undefined, generated: false };
  const filePath = secretKeyPath(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(SECRET_KEY_BYTES);
  try {
    fs.writeFileSync(filePath, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return { key, filePath, generated: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const existing = parseSecretKey(fs.readFileSync(filePath, 'utf8'));
  if (!existing) throw new Error(`the secret key file ${filePath} does not hold 32 bytes in base64 or hex; restore it from your backup`);
  return { key: existing, filePath, generated: false };
}
