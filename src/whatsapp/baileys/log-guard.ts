/**
 * libsignal (under Baileys) prints whole session records, private keys included, through the
 * console ("Closing session:", "Opening session:", ...). This drops those calls and keeps
 * everything else. It duplicates src/emulator/log-guard.ts on purpose: the provider must not
 * depend on the emulator, and it also drops any call that carries a session object.
 */
const SIGNAL_NOISE =
  /^(Closing session|Opening session|Removing old closed session|Session already closed|Session already open|Migrating session|Closing open session|Closing stale open session|Decrypted message with closed session|V1 session storage migration error)/;

/** libsignal's session classes: never print one, whatever the message. */
const SIGNAL_CLASSES = new Set(['SessionEntry', 'SessionRecord']);

export function isLibsignalSecretLog(args: readonly unknown[]): boolean {
  if (typeof args[0] === 'string' && SIGNAL_NOISE.test(args[0])) return true;
  return args.some((a) => typeof a === 'object' && a !== null && SIGNAL_CLASSES.has((a as object).constructor?.name ?? ''));
}

let installed = false;

/** Wraps console.log/info/warn/error/debug once per process; later calls do nothing. */
export function guardLibsignalConsole(): void {
  if (installed) return;
  installed = true;
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (isLibsignalSecretLog(args)) return;
      original(...args);
    };
  }
}
