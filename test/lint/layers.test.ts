// The layer rules of eslint.config.js fire (and stay quiet on correct code), and
// scripts/check-cycles.mjs finds an import cycle made of a type-only import.
// Files are linted as text under made-up paths inside the repository, so imports resolve
// against the real tree; the type-aware rules are switched off here (they need a TypeScript
// program and are not what this file tests).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LAYER_RULES = /^(import-x\/no-restricted-paths|layers\/.*|no-restricted-syntax)$/;

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT, overrideConfig: [{ files: ['**/*.ts'], ...(tseslint.configs.disableTypeChecked as Linter.Config) }] });
});

async function layerErrors(filePath: string, code: string): Promise<{ rule: string; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal, 'parse errors').toEqual([]);
  return result!.messages.filter((m) => LAYER_RULES.test(m.ruleId ?? '')).map((m) => ({ rule: m.ruleId!, message: m.message }));
}

async function expectLayerError(filePath: string, code: string, rule: string, message: string | RegExp): Promise<void> {
  const errors = await layerErrors(filePath, code);
  expect(errors, `${filePath}: ${code}`).toHaveLength(1);
  expect(errors[0]!.rule).toBe(rule);
  expect(errors[0]!.message).toMatch(message);
}

async function expectNoLayerError(filePath: string, code: string): Promise<void> {
  expect(await layerErrors(filePath, code), `${filePath}: ${code}`).toEqual([]);
}

/** A worker file other than index.ts, whatever the workers are called today. */
function someWorker(): string {
  const file = fs.readdirSync(path.join(ROOT, 'src/workers')).find((f) => f.endsWith('.ts') && f !== 'index.ts');
  if (!file) throw new Error('no worker file in src/workers');
  return file.replace(/\.ts$/, '.js');
}

const ROUTES_TO_REPOS = 'routes call services, never repositories (routes -> services -> repositories)';

describe('layer rules', () => {
  it('a route file imports no repository, of its own module or another, even for types', async () => {
    await expectLayerError(
      'src/devices/routes.ts',
      "import { findUser } from '../users/repo.js';\nexport const f = findUser;\n",
      'import-x/no-restricted-paths',
      ROUTES_TO_REPOS,
    );
    await expectLayerError(
      'src/devices/routes.ts',
      "import type { DeviceRow } from './repo.js';\nexport type R = DeviceRow;\n",
      'import-x/no-restricted-paths',
      ROUTES_TO_REPOS,
    );
    await expectLayerError(
      'src/events/stream-routes.ts',
      "import * as repo from '../audit/repo.js';\nexport const r = repo;\n",
      'import-x/no-restricted-paths',
      ROUTES_TO_REPOS,
    );
  });

  it('a route file imports nothing of src/db', async () => {
    await expectLayerError(
      'src/platform/routes.ts',
      "import { connectDatabase } from '../db/connect.js';\nexport const c = connectDatabase;\n",
      'import-x/no-restricted-paths',
      /never the database layer/,
    );
  });

  it('workers are reached only through src/workers/index.ts, and that only from serve and main', async () => {
    const worker = someWorker();
    await expectLayerError(
      'src/messages/service.ts',
      `import * as w from '../workers/${worker}';\nexport const x = w;\n`,
      'import-x/no-restricted-paths',
      /only through src\/workers\/index\.ts/,
    );
    await expectLayerError(
      'src/devices/routes.ts',
      `import * as w from '../workers/${worker}';\nexport const x = w;\n`,
      'import-x/no-restricted-paths',
      /only through src\/workers\/index\.ts/,
    );
    await expectLayerError(
      'src/serve.ts',
      `import * as w from './workers/${worker}';\nexport const x = w;\n`,
      'import-x/no-restricted-paths',
      /only through src\/workers\/index\.ts/,
    );
    await expectLayerError(
      'test/unit/some.test.ts',
      `import * as w from '../../src/workers/${worker}';\nexport const x = w;\n`,
      'import-x/no-restricted-paths',
      /only through/,
    );
    await expectLayerError(
      'src/messages/service.ts',
      "import * as w from '../workers/index.js';\nexport const x = w;\n",
      'import-x/no-restricted-paths',
      /only src\/serve\.ts and src\/main\.ts/,
    );
    await expectLayerError(
      'src/app.ts',
      "import * as w from './workers/index.js';\nexport const x = w;\n",
      'import-x/no-restricted-paths',
      /only src\/serve\.ts and src\/main\.ts/,
    );
    await expectNoLayerError('src/serve.ts', "import * as w from './workers/index.js';\nexport const x = w;\n");
    await expectNoLayerError('src/main.ts', "export const load = () => import('./workers/index.js');\n");
    await expectNoLayerError('test/unit/some.test.ts', "import * as w from '../../src/workers/index.js';\nexport const x = w;\n");
    await expectNoLayerError(`src/workers/${worker.replace(/\.js$/, '.ts')}`, "import * as w from './index.js';\nexport const x = w;\n");
  });

  it('only the provider (src/whatsapp/baileys), the emulator package, tests and benchmarks import Baileys', async () => {
    const message = /'@whiskeysockets\/baileys' is not imported here: only src\/whatsapp\/baileys/;
    await expectLayerError(
      'src/tenants/service.ts',
      "import makeWASocket from '@whiskeysockets/baileys';\nexport const s = makeWASocket;\n",
      'layers/no-baileys',
      message,
    );
    await expectLayerError(
      'src/devices/service.ts',
      "import type { WAMessage } from '@whiskeysockets/baileys';\nexport type M = WAMessage;\n",
      'layers/no-baileys',
      message,
    );
    await expectLayerError('src/workers/index.ts', "export const load = () => import('@whiskeysockets/baileys');\n", 'layers/no-baileys', message);
    await expectLayerError(
      'src/whatsapp/provider.ts',
      "export type K = import('@whiskeysockets/baileys/lib/Types/index.js').WAMessageKey;\n",
      'layers/no-baileys',
      /'@whiskeysockets\/baileys\/lib\/Types\/index\.js'/,
    );
    await expectNoLayerError('src/whatsapp/baileys/session.ts', "import makeWASocket from '@whiskeysockets/baileys';\nexport const s = makeWASocket;\n");
    await expectNoLayerError('test/unit/some.test.ts', "import makeWASocket from '@whiskeysockets/baileys';\nexport const s = makeWASocket;\n");
    await expectNoLayerError('bench/some.ts', "import makeWASocket from '@whiskeysockets/baileys';\nexport const s = makeWASocket;\n");
    await expectNoLayerError('packages/wa-emulator/src/some.ts', "import makeWASocket from '@whiskeysockets/baileys';\nexport const s = makeWASocket;\n");
  });

  it('the emulator package: only main, serve and sandbox; the provider only its log guard; never by path', async () => {
    await expectLayerError(
      'src/devices/service.ts',
      "import { startEmulator } from '@wuts/wa-emulator';\nexport const s = startEmulator;\n",
      'layers/no-emulator-package',
      /'@wuts\/wa-emulator' is not imported here/,
    );
    await expectLayerError(
      'src/whatsapp/baileys/session.ts',
      "import { startEmulator } from '@wuts/wa-emulator';\nexport const s = startEmulator;\n",
      'layers/no-emulator-package',
      /libsignal-log-guard only/,
    );
    await expectNoLayerError('src/whatsapp/baileys/session.ts', "import { guard } from '@wuts/wa-emulator/libsignal-log-guard';\nexport const g = guard;\n");
    await expectNoLayerError('src/serve.ts', "export const load = () => import('@wuts/wa-emulator');\n");
    await expectNoLayerError('src/sandbox.ts', "import { startEmulator } from '@wuts/wa-emulator';\nexport const s = startEmulator;\n");
    await expectLayerError(
      'test/unit/some.test.ts',
      "import { x } from '../../packages/wa-emulator/src/index.js';\nexport const y = x;\n",
      'layers/no-package-by-path',
      /never by a relative path into packages\//,
    );
    await expectLayerError(
      'src/serve.ts',
      "export const load = () => import('../packages/wa-emulator/src/index.js');\n",
      'layers/no-package-by-path',
      /never by a relative path/,
    );
  });

  it('services never import Fastify nor a route file; only src/app.ts registers routes', async () => {
    await expectLayerError(
      'src/users/service.ts',
      "import type { FastifyRequest } from 'fastify';\nexport type R = FastifyRequest;\n",
      'layers/no-fastify',
      /services never know HTTP/,
    );
    await expectLayerError(
      'src/webhooks/deliver.ts',
      "import swagger from '@fastify/swagger';\nexport const s = swagger;\n",
      'layers/no-fastify',
      /services never know HTTP/,
    );
    await expectNoLayerError('src/http/errors.ts', "import type { FastifyReply } from 'fastify';\nexport type R = FastifyReply;\n");
    await expectLayerError(
      'src/events/event-stream.ts',
      "import type { FastifyReply } from 'fastify';\nexport type R = FastifyReply;\n",
      'layers/no-fastify',
      /services never know HTTP/,
    );
    await expectNoLayerError('src/events/stream-routes.ts', "import type { FastifyReply } from 'fastify';\nexport type R = FastifyReply;\n");
    await expectLayerError(
      'src/users/service.ts',
      "import * as r from '../devices/routes.js';\nexport const x = r;\n",
      'import-x/no-restricted-paths',
      /only src\/app\.ts registers route files/,
    );
    await expectLayerError(
      'src/deps.ts',
      "import * as r from './users/routes.js';\nexport const x = r;\n",
      'import-x/no-restricted-paths',
      /only src\/app\.ts registers route files/,
    );
    await expectNoLayerError('src/app.ts', "import * as r from './users/routes.js';\nexport const x = r;\n");
  });

  it('repositories import no service, route or worker', async () => {
    const message = /repositories only build queries: they never import services, routes or workers/;
    await expectLayerError('src/users/repo.ts', "import * as s from './service.js';\nexport const x = s;\n", 'import-x/no-restricted-paths', message);
    // any file of a module that is not a repository or a view holds rules, whatever its name
    await expectLayerError('src/messages/repo.ts', "import * as s from './statuses.js';\nexport const x = s;\n", 'import-x/no-restricted-paths', message);
    await expectLayerError(
      'src/messages/sweep-repo.ts',
      "import type { Deps } from '../deps.js';\nexport type D = Deps;\n",
      'import-x/no-restricted-paths',
      message,
    );
    await expectNoLayerError(
      'src/messages/repo.ts',
      "import type { MessageRow } from './view.js';\nimport { newId } from '../lib/ids.js';\nexport const x = newId;\nexport type R = MessageRow;\n",
    );
    await expectLayerError(
      'src/auth/token-repo.ts',
      "import * as r from '../devices/routes.js';\nexport const x = r;\n",
      'import-x/no-restricted-paths',
      /only src\/app\.ts registers route files/,
    );
    await expectLayerError(
      'src/devices/repo.ts',
      `import * as w from '../workers/${someWorker()}';\nexport const x = w;\n`,
      'import-x/no-restricted-paths',
      /only through src\/workers\/index\.ts/,
    );
    await expectNoLayerError(
      'src/users/repo.ts',
      "import type { Kysely } from 'kysely';\nimport type { Database } from '../db/schema.js';\nexport type Db = Kysely<Database>;\n",
    );
  });

  it('queries are built only in repositories and src/db', async () => {
    const message = /SQL only in repositories \(repo\.ts, \*-repo\.ts\) and src\/db/;
    await expectLayerError(
      'src/tenants/service.ts',
      "export const f = (db: any) => db.selectFrom('x').selectAll().execute();\n",
      'no-restricted-syntax',
      message,
    );
    for (const call of ['insertInto', 'updateTable', 'deleteFrom', 'selectNoFrom', 'replaceInto', 'mergeInto']) {
      await expectLayerError('src/workers/index.ts', `export const f = (db: any) => db.${call}('x');\n`, 'no-restricted-syntax', message);
    }
    await expectLayerError(
      'src/messages/service.ts',
      "import { sql } from 'kysely';\nexport const q = sql`select 1`;\n",
      'no-restricted-syntax',
      /^sql from kysely: SQL only in repositories/,
    );
    await expectNoLayerError('src/messages/service.ts', "import { type Kysely } from 'kysely';\nexport type K = Kysely<object>;\n");
    await expectNoLayerError('src/users/repo.ts', "import { sql } from 'kysely';\nexport const f = (db: any) => db.selectFrom('users').where(sql`1 = 1`);\n");
    await expectNoLayerError('src/auth/login-repo.ts', "export const f = (db: any) => db.deleteFrom('login_failures').execute();\n");
    await expectNoLayerError('src/db/migrate.ts', "import { sql } from 'kysely';\nexport const q = sql`select 1`;\n");
  });

  it('a route that calls its service, with its schemas and the HTTP types, is clean', async () => {
    const code = [
      "import type { App } from '../http/app-types.js';",
      "import { IdParams } from '../http/schemas.js';",
      "import * as users from './service.js';",
      "import { UserResponse } from './schemas.js';",
      'export const r = (app: App) => [app, IdParams, users, UserResponse];',
      '',
    ].join('\n');
    await expectNoLayerError('src/users/routes.ts', code);
  });
});

describe('scripts/check-cycles.mjs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wuts-cycles-'));
    fs.mkdirSync(path.join(dir, 'cycle'));
    fs.writeFileSync(path.join(dir, 'cycle/a.ts'), "import type { B } from './b.js';\nexport const a = 1;\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'cycle/b.ts'), "import { a } from './a.js';\nexport type B = typeof a;\n");
    fs.mkdirSync(path.join(dir, 'clean'));
    fs.writeFileSync(path.join(dir, 'clean/a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'clean/b.ts'), 'export type B = number;\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (sub: string): { status: number; stdout: string } => {
    try {
      return { status: 0, stdout: execFileSync(process.execPath, [path.join(ROOT, 'scripts/check-cycles.mjs'), sub], { cwd: dir, encoding: 'utf8' }) };
    } catch (err) {
      const e = err as { status: number; stdout: string };
      return { status: e.status, stdout: e.stdout };
    }
  };

  it('reports two files importing each other, a type-only import included, and exits 1', () => {
    const { status, stdout } = run('cycle');
    expect(status).toBe(1);
    expect(stdout).toContain('import cycle: cycle/a.ts -(type)-> cycle/b.ts -> cycle/a.ts');
  });

  it('exits 0 when there is no cycle', () => {
    const { status, stdout } = run('clean');
    expect(status).toBe(0);
    expect(stdout).toContain('no import cycles');
  });
});
