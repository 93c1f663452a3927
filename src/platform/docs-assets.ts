import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * Scalar's API reference as one self-contained browser script. It is taken from the package of
 * Scalar's Fastify integration, which ships that bundle, rather than from @scalar/api-reference,
 * whose npm dependencies (Vue and the rest, about 240 MB) the bundle already contains. WUTS does
 * not register the integration's plugin: that would add routes of its own (the document again
 * under /docs/openapi.json and .yaml, open to any origin), an inline script and no caching.
 */
const PACKAGE = '@scalar/fastify-api-reference';

export interface ScalarBundle {
  /** The package version: part of the script's URL, so the script can be cached for good. */
  version: string;
  /** Resolves the script's bytes, as they are and gzipped, read and compressed once. */
  load(): Promise<{ plain: Buffer; gzip: Buffer }>;
}

const gzip = promisify(zlib.gzip);

function locate(): { file: string; version: string } {
  const entry = createRequire(import.meta.url).resolve(PACKAGE); // <package>/dist/index.js
  const root = path.dirname(path.dirname(entry));
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return { file: path.join(root, 'dist', 'js', 'standalone.js'), version };
}

let bundle: ScalarBundle | undefined;

/** The bundle, located once per process; a missing package fails here, when the routes are registered. */
export function scalarBundle(): ScalarBundle {
  if (bundle) return bundle;
  const { file, version } = locate();
  if (!fs.existsSync(file)) throw new Error(`${PACKAGE} ${version} has no dist/js/standalone.js: the API reference cannot be served`);
  let loading: Promise<{ plain: Buffer; gzip: Buffer }> | undefined;
  const load = () => {
    if (loading) return loading;
    loading = (async () => {
      const plain = await fs.promises.readFile(file);
      return { plain, gzip: await gzip(plain) };
    })();
    // A failed read is tried again by the next request instead of being kept.
    loading.catch(() => (loading = undefined));
    return loading;
  };
  bundle = { version, load };
  return bundle;
}
