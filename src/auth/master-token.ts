import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface MasterTokenSource {
  token: string;
  /** Where the generated token is kept; undefined when it came from WUTS_MASTER_TOKEN. */
  filePath: string | undefined;
  generated: boolean;
}

export function masterTokenPath(dataDir: string): string {
  return path.join(dataDir, 'master-token');
}

/**
 * The master token comes from WUTS_MASTER_TOKEN, or from a file in the data directory that
 * the first start creates with mode 0600. The token itself is never printed or logged.
 */
export function loadMasterToken(fromEnv: string | undefined, dataDir: string): MasterTokenSource {
  if (fromEnv) return { token: fromEnv, filePath: undefined, generated: false };
  const filePath = masterTokenPath(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = 'wuts_master_' + randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(filePath, token + '\n', { mode: 0o600, flag: 'wx' });
    return { token, filePath, generated: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const existing = fs.readFileSync(filePath, 'utf8').trim();
  if (existing.length < 32) throw new Error(`the master token file ${filePath} is empty or too short; delete it to generate a new one`);
  return { token: existing, filePath, generated: false };
}
