import fs from 'node:fs';
import path from 'node:path';

/** Content types of what Vite writes into the dashboard's build; anything else is not served. */
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A file name part: letters, digits, `.`, `_`, `-`, not made of dots alone. */
const SAFE_SEGMENT = /^(?!\.+$)[A-Za-z0-9._-]{1,200}$/;

export interface DashboardAsset {
  file: string;
  size: number;
  contentType: string;
}

/**
 * The file under `<dir>/assets/` that a request's path names, or null: only plain names in
 * known types, checked again after resolving, so `..`, encoded or not, never leaves the folder.
 */
export async function findAsset(dir: string, relative: string): Promise<DashboardAsset | null> {
  const segments = relative.split('/');
  if (segments.length > 8 || !segments.every((s) => SAFE_SEGMENT.test(s))) return null;
  const contentType = CONTENT_TYPES[path.extname(relative).toLowerCase()];
  if (!contentType) return null;
  const root = path.resolve(dir, 'assets');
  const file = path.resolve(root, ...segments);
  if (!file.startsWith(root + path.sep)) return null;
  try {
    const stat = await fs.promises.stat(file);
    return stat.isFile() ? { file, size: stat.size, contentType } : null;
  } catch {
    return null;
  }
}

/** The built index.html, or null when the dashboard was not built. */
export async function readIndexHtml(dir: string): Promise<string | null> {
  try {
    return await fs.promises.readFile(path.join(dir, 'index.html'), 'utf8');
  } catch {
    return null;
  }
}

export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>WUTS</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>WUTS</h1>
<p>The dashboard is not built. Run <code>npm run build</code> (it builds <code>packages/dashboard</code>) and reload this page.</p>
<p>The API answers as usual: its reference is at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;
