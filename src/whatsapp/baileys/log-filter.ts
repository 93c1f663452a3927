import type { Logger } from 'pino';

/** The logger interface Baileys takes (its ILogger). */
export interface BaileysLogger {
  level: string;
  child(bindings: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** What to do with one of Baileys' records: keep it, log it at another level, or drop it. */
export type Verdict = 'keep' | 'drop' | Level;

/** The message of a Baileys call: `(obj, msg)` or `(msg)`. */
function messageOf(obj: unknown, msg: string | undefined): string {
  if (typeof msg === 'string') return msg;
  return typeof obj === 'string' ? obj : '';
}

/** The `code` attribute of the stream error node Baileys logs with "stream errored out". */
function streamErrorCode(obj: unknown): string | undefined {
  const node = (obj as { fullErrorNode?: { attrs?: { code?: unknown } } } | undefined)?.fullErrorNode;
  const code = node?.attrs?.code;
  return code === undefined ? undefined : String(code);
}

/**
 * Baileys' records an operator does not need, and what becomes of them:
 * - "DANGER: DISABLING ALL SYNC ...", at every connect: WUTS turns history sync off on purpose
 *   (it stores what arrives from now on) and learns LID mappings from messages and contacts: dropped.
 * - "stream errored out" with code 515 (restart required): WhatsApp asks every newly paired
 *   device to reconnect once; WUTS does so at once. Not an error: debug.
 * Everything else (real errors included) is kept at its level.
 */
export function baileysVerdict(level: Level, obj: unknown, msg?: string): Verdict {
  const text = messageOf(obj, msg);
  if (level === 'warn' && text.includes('DANGER: DISABLING ALL SYNC')) return 'drop';
  if (level === 'error' && text === 'stream errored out' && streamErrorCode(obj) === '515') return 'debug';
  return 'keep';
}

/** Baileys' logger over a pino logger, with its known-benign records dropped or logged lower (see baileysVerdict). */
export function filterBaileysLog(logger: Logger): BaileysLogger {
  const at =
    (level: Level) =>
    (obj: unknown, msg?: string): void => {
      const verdict = baileysVerdict(level, obj, msg);
      if (verdict === 'drop') return;
      const target = verdict === 'keep' ? level : verdict;
      if (typeof obj === 'string') logger[target](obj);
      else logger[target](obj as object, msg);
    };
  return {
    get level() {
      return logger.level;
    },
    set level(value: string) {
      logger.level = value;
    },
    child: (bindings) => filterBaileysLog(logger.child(bindings)),
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
