import type { Agent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import makeWASocket, { type WASocket } from '@whiskeysockets/baileys';
import { makeMemoryAuthState } from '@wuts/wa-emulator';
import { emulatorApi, withTimeout, type EmulatorChild } from './emulator-child.js';

const silent = pino({ level: 'silent' });

/**
 * A bare Baileys client (no WUTS) linked by QR to an emulator account as a companion: the
 * benches' reference. `onSocket` adds a bench's own listeners to each socket (a 515 restart
 * makes a new one); `onAck` maps a message id to what runs on the server's ack.
 */
export async function linkBareClient(
  emu: EmulatorChild,
  phone: string,
  options: { defaultQueryTimeoutMs: number; fetchAgent?: Agent; onSocket?: (sock: WASocket) => void },
) {
  const auth = makeMemoryAuthState();
  let sock!: WASocket;
  let openResolve!: () => void;
  let qrResolve!: (qr: string) => void;
  const opened = new Promise<void>((r) => (openResolve = r));
  const qr = new Promise<string>((r) => (qrResolve = r));
  const onAck = new Map<string, () => void>();
  const start = (): void => {
    sock = makeWASocket({
      auth: auth.state,
      waWebSocketUrl: emu.wsUrl,
      logger: silent,
      defaultQueryTimeoutMs: options.defaultQueryTimeoutMs,
      shouldSyncHistoryMessage: () => false,
      syncFullHistory: false,
      browser: ['Bench', 'Chrome', '1.0'],
      ...(options.fetchAgent ? { fetchAgent: options.fetchAgent } : {}),
    });
    sock.ev.on('connection.update', (u) => {
      if (u.qr) qrResolve(u.qr);
      if (u.connection === 'open') openResolve();
      const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
      if (u.connection === 'close' && code === 515) start();
    });
    sock.ws.on('CB:ack,class:message', (node: { attrs: { id?: string } }) => node.attrs.id && onAck.get(node.attrs.id)?.());
    options.onSocket?.(sock);
  };
  start();
  await emulatorApi(emu.url, 'POST', '/admin/link', { qr: await withTimeout(qr, 15_000, 'qr'), phone });
  await withTimeout(opened, 30_000, 'baileys client open');
  return { sock: () => sock, onAck, end: () => sock.end(undefined) };
}

/** Polls `probe` every `everyMs` until it answers something truthy; throws after `ms`. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>, everyMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout after ${ms} ms: ${what}`);
    await sleep(everyMs);
  }
}
