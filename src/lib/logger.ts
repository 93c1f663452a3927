import fs from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** Fields every record has, or that the pretty line shows in its own place. */
const PLACED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'component', 'deviceId']);

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };

/** A value longer than this is cut in a pretty line (a WhatsApp stanza, a whole request). */
const MAX_VALUE_CHARS = 300;

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? (/[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value) : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** An error as pino serialises it: its type and message, and where it was thrown. */
function shortError(err: unknown): string {
  if (!err || typeof err !== 'object') return shortValue(err);
  const e = err as { type?: string; message?: string; stack?: string };
  const where = e.stack
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('at '));
  return shortValue(`${e.type ?? 'Error'}: ${e.message ?? ''}${where ? ` (${where})` : ''}`);
}

/**
 * One pino record (a JSON line) as one readable line: time, level, `[component deviceId]`,
 * the message, then the other fields as key=value. A line that is no JSON passes as it is.
 */
export function prettyLine(json: string, colour = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = Number(record.level);
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const name = (LEVEL_NAMES[level] ?? String(record.level)).padEnd(5);
  const levelText = colour && LEVEL_COLOURS[level] ? `\u001b[${LEVEL_COLOURS[level]}m${name}\u001b[0m` : name;
  const source = [record.component, record.deviceId].filter((v) => typeof v === 'string' && v).join(' ');
  const fields = Object.entries(record)
    .filter(([key]) => !PLACED.has(key))
    .map(([key, value]) => `${key}=${key === 'err' || key === 'error' ? shortError(value) : shortValue(value)}`);
  const parts = [time, levelText, source ? `[${source}]` : '', typeof record.msg === 'string' ? record.msg : '', ...fields].filter((p) => p !== '');
  return `${parts.join(' ').replace(/[\r\n]+/g, ' ')}\n`;
}

/** Writes each record as a pretty line to a file descriptor, synchronously (nothing is lost at process.exit). */
export function prettyDestination(fd = 1, colour = false): DestinationStream {
  return { write: (chunk: string) => void fs.writeSync(fd, prettyLine(chunk.trimEnd(), colour)) };
}

/** The process's logger: JSON lines on stdout (pino), or pretty lines with WUTS_LOG_FORMAT=pretty. */
export function createLogger(options: { level: string; format: LogFormat }): Logger {
  const base = { level: options.level, redact: ['req.headers.authorization', 'headers.authorization'] };
  if (options.format === 'json') return pino(base);
  const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
  return pino(base, prettyDestination(1, colour));
}

/**
 * The logger for the lines an operator needs at start (where the master token and the secret
 * key are, the address): at info, shown even when LOG_LEVEL is warn or error; not when silent.
 */
export function noticeLogger(logger: Logger): Logger {
  const info = logger.levels.values.info ?? 30;
  if (logger.level === 'silent' || logger.levelVal <= info) return logger;
  return logger.child({}, { level: 'info' });
}
