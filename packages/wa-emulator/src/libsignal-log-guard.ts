/**
 * libsignal (under Baileys) prints whole session records, private keys included, through the
 * console ("Closing session:", "Opening session:", ...). guardLibsignalConsole() drops those
 * calls and keeps everything else.
 *
 * Both the emulator (its phones are Baileys clients) and WUTS's Baileys provider install it.
 * This module imports nothing, so the provider loads it (`@wuts/wa-emulator/libsignal-log-guard`)
 * without loading the emulator.
 */

/** The first argument of libsignal's console calls that print or announce session records. */
const SIGNAL_NOISE =
  /^(Closing session|Opening session|Removing old closed session|Session already closed|Session already open|Migrating session|Closing open session|Closing stale open session|Decrypted message with closed session|V1 session storage migration error)/;

/** libsignal's session classes: never print one, whatever the message. */
const SIGNAL_CLASSES = new Set(['SessionEntry', 'SessionRecord']);

/** The console levels wrapped: libsignal uses info, warn and error; log and debug for any other caller. */
const LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** Process-wide, so two copies of this module (two installs of the package) still wrap the console once. */
const INSTALLED = Symbol.for('@wuts/wa-emulator/libsignal-log-guard');

/** True for a console call that would print a libsignal session (its keys): by its message, or by a session object among its arguments. */
export function isLibsignalSecretLog(args: readonly unknown[]): boolean {
  if (typeof args[0] === 'string' && SIGNAL_NOISE.test(args[0])) return true;
  return args.some((a) => typeof a === 'object' && a !== null && SIGNAL_CLASSES.has((a as object).constructor?.name ?? ''));
}

/**
 * Wraps console.log/info/warn/error/debug once per process (later calls do nothing): the
 * wrappers drop libsignal's session dumps and pass every other call to the function that was
 * there when the guard was installed.
 */
export function guardLibsignalConsole(): void {
  const registry = globalThis as { [INSTALLED]?: true };
  if (registry[INSTALLED]) return;
  registry[INSTALLED] = true;
  for (const level of LEVELS) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (isLibsignalSecretLog(args)) return;
      original(...args);
    };
  }
}
