#!/usr/bin/env node
import { ConfigError, SETTINGS, loadConfig } from './config.js';
import { databaseOptions } from './db/connect.js';
import { migrateDatabase, MigrationError } from './db/migrate.js';
import { DatabaseUnavailableError } from './db/reachable.js';
import { DataDirLockedError } from './lib/data-dir-lock.js';
import { SandboxRefusedError } from './sandbox.js';
import { serve } from './serve.js';
import { SealedValueError, SecretKeyMismatchError } from './secrets/at-rest.js';

const HELP = `wuts: a multi-tenant WhatsApp HTTP API

Usage: wuts <command> [options]

Commands:
  serve                          migrate the database, then serve the API (the default)
  migrate                        apply pending database migrations and exit
  emulator [--port N] [--host ADDR] [--state FILE] [--admin-token T]
                                 run the WhatsApp emulator (a local sandbox; see docs/emulator.md)
  sandbox                        WUTS with the emulator and a demo tenant, in ./data/sandbox (README: Your first message)
  --help                         this text

Settings (environment variables):
${SETTINGS.map((s) => `  ${s.name.padEnd(38)}${s.meaning}\n  ${''.padEnd(38)}default: ${s.defaultText}`).join('\n')}
`;

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === 'emulator') {
    const { runEmulatorCli } = await import('@wuts/wa-emulator');
    await runEmulatorCli(rest);
    return;
  }
  if (command === 'sandbox') {
    const { runSandbox } = await import('./sandbox-demo.js');
    await runSandbox();
    return;
  }
  if (command !== 'serve' && command !== 'migrate') {
    process.stderr.write(`wuts: unknown command "${command}"; see wuts --help\n`);
    process.exit(2);
  }
  const config = loadConfig();
  if (command === 'migrate') {
    const applied = await migrateDatabase(databaseOptions(config));
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    return;
  }
  await serve(config);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof MigrationError ||
    err instanceof DatabaseUnavailableError ||
    err instanceof DataDirLockedError ||
    err instanceof SandboxRefusedError ||
    err instanceof SecretKeyMismatchError ||
    err instanceof SealedValueError
  ) {
    process.stderr.write(`wuts: ${err.message}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`wuts: could not start: ${message}\n`);
  }
  process.exit(1);
});
