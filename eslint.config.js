// ESLint: typescript-eslint's recommended rules, a few type-aware ones on product code, and the
// layer rules of the architecture (routes -> services -> repositories; workers behind
// src/workers/index.ts; Baileys behind src/whatsapp/baileys; SQL only in repositories).
// Import cycles (type-only imports included) are checked by scripts/check-cycles.mjs.
// Formatting belongs to Prettier: no stylistic rule here may disagree with it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const root = path.dirname(fileURLToPath(import.meta.url));
const abs = (p) => path.join(root, p);

// ---- file groups --------------------------------------------------------------------------
const ROUTES = ['src/*/routes.ts', 'src/*/*-routes.ts'];
const REPOS = ['src/**/repo.ts', 'src/**/*-repo.ts'];
/** Every linted file outside src/workers/. */
const OUTSIDE_WORKERS = ['src/*.ts', 'src/!(workers)/**/*', 'test/**/*', 'bench/**/*', 'packages/**/*', 'scripts/**/*', '*.{ts,js,mjs}'];

// ---- layer rules on package names ---------------------------------------------------------
/**
 * A rule that reports imports of some packages: static, type-only, re-exports, dynamic
 * `import()` and `import('x').T` types. Each concern is its own rule id, so each one is
 * scoped with `files`/`ignores` on its own (one rule's options are never merged across
 * config objects, so one shared rule could not carry several scopes).
 */
function restrictPackages(description) {
  return {
    meta: {
      type: 'problem',
      docs: { description },
      schema: [
        {
          type: 'object',
          properties: {
            packages: { type: 'array', items: { type: 'string' } },
            allow: { type: 'array', items: { type: 'string' } },
            message: { type: 'string' },
          },
          required: ['packages', 'message'],
          additionalProperties: false,
        },
      ],
      messages: { restricted: "'{{name}}' is not imported here: {{message}}" },
    },
    create(context) {
      const { packages, allow = [], message } = context.options[0];
      const regex = (list) => list.map((p) => new RegExp(p));
      const restricted = regex(packages);
      const allowed = regex(allow);
      const check = (node) => {
        const name =
          node && (node.type === 'Literal' || node.type === 'TemplateLiteral')
            ? node.type === 'Literal'
              ? node.value
              : node.quasis.length === 1
                ? node.quasis[0].value.cooked
                : null
            : null;
        if (typeof name !== 'string') return;
        if (restricted.some((r) => r.test(name)) && !allowed.some((r) => r.test(name)))
          context.report({ node, messageId: 'restricted', data: { name, message } });
      };
      return {
        ImportDeclaration: (n) => check(n.source),
        ExportNamedDeclaration: (n) => check(n.source),
        ExportAllDeclaration: (n) => check(n.source),
        ImportExpression: (n) => check(n.source),
        TSImportType: (n) => check(n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.argument),
        TSExternalModuleReference: (n) => check(n.expression),
      };
    },
  };
}
/** `name` and any subpath of it, as a regex source. */
const pkg = (name) => `^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/.*)?$`;

const layers = {
  meta: { name: 'wuts-layers' },
  rules: {
    'no-baileys': restrictPackages('Baileys only behind the WhatsApp provider (src/whatsapp/baileys)'),
    'no-emulator-package': restrictPackages('The emulator package only where the sandbox is started'),
    'no-fastify': restrictPackages('Fastify only in the HTTP layer'),
    'no-package-by-path': restrictPackages('Workspace packages by their name, never by a relative path'),
  },
};

const BAILEYS_MESSAGE =
  'only src/whatsapp/baileys/** (the provider), packages/wa-emulator, test/** and bench/** use Baileys; the rest of WUTS goes through its own interface, src/whatsapp/provider.ts and messages.ts';
const EMULATOR_MESSAGE =
  'product code starts the emulator only from src/main.ts, src/serve.ts or src/sandbox.ts (the provider may use @wuts/wa-emulator/libsignal-log-guard only)';
const FASTIFY_MESSAGE =
  'services never know HTTP: Fastify is used only by route files, src/http/** and src/app.ts; take plain values and return plain values (routes -> services -> repositories)';

// ---- layer rules on paths (resolved through the TypeScript resolver: './x.js' is './x.ts') ----
const ROUTES_TO_REPOS = 'routes call services, never repositories (routes -> services -> repositories)';
const zones = [
  // a. route files: no repository, no database module (workers: see d)
  { target: ROUTES, from: REPOS.map(abs), message: ROUTES_TO_REPOS },
  { target: ROUTES, from: [abs('src/db/**')], message: 'routes call services, never the database layer (routes -> services -> repositories -> src/db)' },
  // b. nothing but the composition root (src/app.ts) and other route files imports a route file
  {
    target: ['src/!(app).ts', 'src/*/!(routes|*-routes).ts', 'src/*/*/**/*'],
    from: ROUTES.map(abs),
    message: 'only src/app.ts registers route files; services and the rest never import HTTP code (routes -> services -> repositories)',
  },
  // c. repositories: only the database layer, lib/, other repositories and views (routes: see b; workers: see d)
  {
    target: REPOS,
    from: [abs('src/!(db|lib|workers)/!(repo|*-repo|view|routes|*-routes).ts'), abs('src/*.ts'), abs('src/http/**')],
    message: 'repositories only build queries: they never import services, routes or workers (routes -> services -> repositories)',
  },
  // d. workers: only through src/workers/index.ts, and that only from src/serve.ts, src/main.ts, tests and benchmarks
  {
    target: OUTSIDE_WORKERS,
    from: 'src/workers',
    except: ['./index.ts'],
    message: 'workers are reached only through src/workers/index.ts, which builds, starts and stops them',
  },
  {
    target: ['src/!(main|serve).ts', 'src/!(workers)/**/*', 'packages/**/*', 'scripts/**/*', '*.{ts,js,mjs}'],
    from: 'src/workers/index.ts',
    message: 'only src/serve.ts and src/main.ts (and test/**, bench/**) start the workers; services and routes never call a worker',
  },
];

// ---- g. query building only in repositories ------------------------------------------------
const QUERY_MESSAGE = 'SQL only in repositories (repo.ts, *-repo.ts) and src/db/**: call a repository function instead (routes -> services -> repositories)';
const queryBuilding = [
  {
    selector:
      "CallExpression[callee.type='MemberExpression'][callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|selectNoFrom|replaceInto|mergeInto)$/]",
    message: QUERY_MESSAGE,
  },
  {
    selector: "ImportDeclaration[source.value='kysely'][importKind='value'] > ImportSpecifier[imported.name='sql'][importKind='value']",
    message: `sql from kysely: ${QUERY_MESSAGE}`,
  },
];

// ---- type-aware rules, WUTS's product code only ------------------------------------------------
// A TypeScript program per tsconfig is the cost (about 15 s of CPU for src/ on top of ~12 s for
// all the rest). packages/wa-emulator/src would add its own program (Baileys' types, ~9 s more)
// for test tooling: add 'packages/*/src/**/*.ts' here to include it.
const TYPE_AWARE_FILES = ['src/**/*.ts'];
const typeAwareRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
};

export default defineConfig(
  { name: 'wuts/ignores', ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**'] },
  { name: 'wuts/linter', linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'wuts/javascript',
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    name: 'wuts/typescript',
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // `any` stays an error in product code; tests and benchmarks poke at JSON answers and
    // internals, and migrations take Kysely<any> on purpose (they must not follow today's schema).
    name: 'wuts/any-allowed',
    files: ['test/**', 'bench/**', 'packages/*/test/**', 'src/db/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // As eslint-config-prettier does: line breaks belong to Prettier. (No other rule enabled
    // here is a layout rule: @eslint/js and typescript-eslint recommended carry none in v9/v8.)
    name: 'wuts/prettier',
    rules: { 'no-unexpected-multiline': 'off' },
  },
  {
    name: 'wuts/type-aware',
    files: TYPE_AWARE_FILES,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: typeAwareRules,
  },
  // ---- layers ----
  {
    name: 'wuts/layers/paths',
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: abs('tsconfig.json'), alwaysTryTypes: true })] },
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: root, zones }] },
  },
  { name: 'wuts/layers/plugin', plugins: { layers } },
  {
    name: 'wuts/layers/baileys',
    ignores: ['src/whatsapp/baileys/**', 'packages/wa-emulator/**', 'test/**', 'bench/**'],
    rules: { 'layers/no-baileys': ['error', { packages: [pkg('@whiskeysockets/baileys')], message: BAILEYS_MESSAGE }] },
  },
  {
    name: 'wuts/layers/emulator-package',
    files: ['src/**'],
    ignores: ['src/main.ts', 'src/serve.ts', 'src/sandbox.ts'],
    rules: { 'layers/no-emulator-package': ['error', { packages: [pkg('@wuts/wa-emulator')], message: EMULATOR_MESSAGE }] },
  },
  {
    name: 'wuts/layers/emulator-package-in-provider',
    files: ['src/whatsapp/baileys/**'],
    rules: {
      'layers/no-emulator-package': [
        'error',
        { packages: [pkg('@wuts/wa-emulator')], allow: ['^@wuts/wa-emulator/libsignal-log-guard$'], message: EMULATOR_MESSAGE },
      ],
    },
  },
  {
    name: 'wuts/layers/package-by-path',
    rules: {
      'layers/no-package-by-path': [
        'error',
        {
          packages: ['^\\.\\.?/(.*/)?packages/'],
          message: "import a workspace package by its name ('@wuts/wa-emulator'), never by a relative path into packages/",
        },
      ],
    },
  },
  {
    name: 'wuts/layers/fastify',
    files: ['src/**'],
    ignores: ['src/http/**', 'src/app.ts', ...ROUTES],
    rules: { 'layers/no-fastify': ['error', { packages: [pkg('fastify'), '^@fastify/'], message: FASTIFY_MESSAGE }] },
  },
  {
    name: 'wuts/layers/queries',
    files: ['src/**/*.ts'],
    ignores: [...REPOS, 'src/db/**'],
    rules: { 'no-restricted-syntax': ['error', ...queryBuilding] },
  },
);
