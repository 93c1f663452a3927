#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, SETTINGS, loadConfig } from './config.js';

/** A command line that cannot be run (an unknown command or option): exit 2 with the message. */
class UsageError extends Error {}

/**
 * One `wuts` command: its name, the line `wuts --help` shows, what `wuts <name> --help`
 * prints (and nothing else happens), and what it does with the arguments after its name.
 */
interface Command {
  name: string;
  summary: string;
  usage: string | (() => Promise<string>);
  run(args: string[]): Promise<void>;
}

/** Commands that take no options: anything but --help is refused. */
function noOptions(command: string, args: string[]): void {
  const [first] = args;
  if (first === undefined) return;
  const what = first.startsWith('-') ? 'unknown option' : 'unexpected argument';
  throw new UsageError(
    `wuts ${command}: ${what} "${first}": wuts ${command} takes no options; every setting is an environment variable (such as WUTS_DATA_DIR=/var/lib/wuts wuts ${command}; wuts --help lists them)`,
  );
}

const COMMANDS: Command[] = [
  {
    name: 'serve',
    summary: 'migrate the database, then serve the API (the default)',
    usage: `Usage: wuts serve

Applies pending database migrations, then serves the API until SIGTERM or SIGINT, which stop
it gracefully (work in flight gets WUTS_SHUTDOWN_GRACE_SECONDS). Logs are JSON lines on
stdout (WUTS_LOG_FORMAT=pretty for a terminal).

It takes no options: every setting is an environment variable (wuts --help lists them).

Example: PORT=9000 WUTS_DATA_DIR=/var/lib/wuts wuts serve
`,
    run: async (args) => {
      noOptions('serve', args);
      const config = loadConfig();
      const { serve } = await import('./serve.js');
      await serve(config);
    },
  },
  {
    name: 'migrate',
    summary: 'apply pending database migrations and exit',
    usage: `Usage: wuts migrate

Applies pending database migrations (DATABASE_URL, or SQLite under WUTS_DATA_DIR), prints
which, and exits. wuts serve does the same at every start.

It takes no options: every setting is an environment variable (wuts --help lists them).
`,
    run: async (args) => {
      noOptions('migrate', args);
      const config = loadConfig();
      const [{ databaseOptions }, { migrateDatabase }] = await Promise.all([import('./db/connect.js'), import('./db/migrate.js')]);
      const applied = await migrateDatabase(databaseOptions(config));
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
    },
  },
  {
    name: 'sandbox',
    summary: 'WUTS with the emulator and a demo tenant, in ./data/sandbox (README: Your first message)',
    usage: `Usage: wuts sandbox   (npm run sandbox)

Runs WUTS with the WhatsApp emulator inside it, keeping everything in WUTS_SANDBOX_DIR
(./data/sandbox), and prepares a demo tenant, its admin, a device and two emulator accounts;
then prints what to open and the values to use. It never touches a real deployment: it ignores
the settings that name one's data (DATABASE_URL, WUTS_DATA_DIR, WUTS_MASTER_TOKEN, ...).

It takes no options: PORT, HOST, WUTS_EMULATOR_PORT and WUTS_SANDBOX_DIR are environment variables.
`,
    run: async (args) => {
      noOptions('sandbox', args);
      const { runSandbox } = await import('./sandbox-demo.js');
      await runSandbox();
    },
  },
  {
    name: 'emulator',
    summary: 'run the WhatsApp emulator (a local sandbox; see docs/emulator.md); wuts emulator --help: its options',
    usage: async () => (await import('@wuts/wa-emulator')).EMULATOR_USAGE,
    run: async (args) => {
      const { runEmulatorCli } = await import('@wuts/wa-emulator');
      await runEmulatorCli(args);
    },
  },
];

/** The version in WUTS's package.json (two levels up from dist/src/main.js, one from src/main.ts). */
function version(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'wuts' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

function help(): string {
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(31)}${c.summary}`).join('\n');
  return `wuts: a multi-tenant WhatsApp HTTP API

Usage: wuts <command> [--help]

Commands:
${commands}
  --help, -h                     this text
  --version, -v                  the version

Settings (environment variables):
${SETTINGS.map((s) => `  ${s.name.padEnd(38)}${s.meaning}\n  ${''.padEnd(38)}default: ${s.defaultText}`).join('\n')}
`;
}

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  // `wuts help serve` is `wuts serve --help`
  if (first === 'help' && rest[0] !== undefined) return main([rest[0], '--help']);
  if (first === 'help' || (first !== undefined && isHelp(first))) return void process.stdout.write(help());
  if (first === '--version' || first === '-v') return void process.stdout.write(`wuts ${version()}\n`);
  // no command, or options first: serve (which takes none)
  const [name, args] = first === undefined || first.startsWith('-') ? ['serve', argv] : [first, rest];
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`wuts: unknown command "${name}"; see wuts --help`);
  if (args.some(isHelp)) {
    const usage = typeof command.usage === 'string' ? command.usage : await command.usage();
    return void process.stdout.write(usage);
  }
  await command.run(args);
}

/** Errors that say what to fix in one line (a setting, the database, the data directory, the key): no stack. Loaded only on failure. */
async function isExplained(err: unknown): Promise<boolean> {
  if (err instanceof ConfigError) return true;
  const [migrate, reachable, lock, sandbox, secrets] = await Promise.all([
    import('./db/migrate.js'),
    import('./db/reachable.js'),
    import('./lib/data-dir-lock.js'),
    import('./sandbox.js'),
    import('./secrets/at-rest.js'),
  ]);
  return [
    migrate.MigrationError,
    reachable.DatabaseUnavailableError,
    lock.DataDirLockedError,
    sandbox.SandboxRefusedError,
    secrets.SecretKeyMismatchError,
    secrets.SealedValueError,
  ].some((known) => err instanceof known);
}

main(process.argv.slice(2)).catch(async (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (await isExplained(err).catch(() => false)) {
    process.stderr.write(`wuts: ${(err as Error).message}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`wuts: could not start: ${message}\n`);
  }
  process.exit(1);
});
