import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/** WUTS's version, from its package.json (found above this file, whether run from src/ or dist/). */
export function wutsVersion(): string {
  if (version) return version;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'wuts' && pkg.version) return (version = pkg.version);
    } catch {
      // not here: one directory up
    }
  }
  return (version = 'unknown');
}
