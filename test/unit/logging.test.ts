import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { noticeLogger, prettyLine } from '../../src/lib/logger.js';
import { baileysVerdict, filterBaileysLog } from '../../src/whatsapp/baileys/log-filter.js';

function capture(level: string): { logger: pino.Logger; records: () => Array<Record<string, any>> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level }, sink), records: () => lines.map((l) => JSON.parse(l)) };
}

const DANGER =
  '⚠️ DANGER: DISABLING ALL SYNC BY shouldSyncHistoryMsg PREVENTS BAILEYS FROM ACCESSING INITIAL LID MAPPINGS, LEADING TO INSTABILIY AND SESSION ERRORS';
const restart = { reasonNode: undefined, fullErrorNode: { tag: 'stream:error', attrs: { code: '515' } } };
const conflict = { reasonNode: { tag: 'conflict', attrs: { type: 'replaced' } }, fullErrorNode: { tag: 'stream:error', attrs: {} } };

describe("Baileys' log, filtered", () => {
  it('drops the sync warning, logs the 515 restart at debug, keeps every other record at its level', () => {
    expect(baileysVerdict('warn', DANGER)).toBe('drop');
    expect(baileysVerdict('error', restart, 'stream errored out')).toBe('debug');
    expect(baileysVerdict('error', conflict, 'stream errored out')).toBe('keep');
    expect(baileysVerdict('error', { err: new Error('x') }, 'error in validating connection')).toBe('keep');
    expect(baileysVerdict('warn', 'keep alive called when WS not open')).toBe('keep');
  });

  it('through a logger and its children', () => {
    const { logger, records } = capture('debug');
    const baileys = filterBaileysLog(logger).child({ class: 'baileys' });
    expect(baileys.level).toBe('debug');
    baileys.warn(DANGER);
    baileys.error(restart, 'stream errored out');
    baileys.error(conflict, 'stream errored out');
    baileys.warn('a plain warning');
    expect(records().map((r) => [r.level, r.msg, r.class])).toEqual([
      [20, 'stream errored out', 'baileys'],
      [50, 'stream errored out', 'baileys'],
      [40, 'a plain warning', 'baileys'],
    ]);
  });
});

describe('pretty lines', () => {
  it('one line per record: time, level, source, message, fields', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 40,
        time: Date.UTC(2026, 5, 15, 12, 0, 1, 234),
        pid: 1,
        hostname: 'h',
        component: 'baileys',
        deviceId: 'd1',
        msg: 'odd',
        code: 515,
        note: 'two words',
      }),
    );
    expect(line).toBe('12:00:01.234 WARN  [baileys d1] odd code=515 note="two words"\n');
  });

  it('errors as their type, message and first frame; long values cut; no line breaks', () => {
    const err = { type: 'TypeError', message: 'boom\nagain', stack: 'TypeError: boom\n    at f (/x.js:1:2)\n    at g (/y.js:3:4)' };
    const line = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'request failed', err, big: 'x'.repeat(1000) }));
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain('ERROR request failed err="TypeError: boom\\nagain (at f (/x.js:1:2))"');
    expect(line).toContain(`big=${'x'.repeat(300)}…`);
  });

  it('a line that is no JSON passes as it is', () => {
    expect(prettyLine('plain text')).toBe('plain text\n');
  });
});

describe('start-up notices', () => {
  it('show at info even when LOG_LEVEL is warn, not when silent', () => {
    const warn = capture('warn');
    noticeLogger(warn.logger).info('WUTS listening on http://127.0.0.1:1');
    warn.logger.info('hidden');
    expect(warn.records().map((r) => r.msg)).toEqual(['WUTS listening on http://127.0.0.1:1']);
    const silent = capture('silent');
    noticeLogger(silent.logger).info('WUTS listening on http://127.0.0.1:1');
    expect(silent.records()).toEqual([]);
  });
});
