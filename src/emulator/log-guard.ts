/**
 * libsignal prints whole session records, private keys included, through console.info
 * ("Closing session:", "Opening session:", ...). Drop those lines; keep everything else.
 */
const SIGNAL_NOISE = /^(Closing session|Opening session|Removing old closed session|Session already closed|Session already open|Migrating session|Closing open session|Decrypted message with closed session)/;

let installed = false;

export function guardLibsignalConsole(): void {
  if (installed) return;
  installed = true;
  for (const level of ['info', 'warn', 'log'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && SIGNAL_NOISE.test(args[0])) return;
      original(...args);
    };
  }
}
