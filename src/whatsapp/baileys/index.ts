import makeWASocket from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { whatsappEndpoint } from '../endpoint.js';
import type { DeviceSession, StartOptions, WhatsAppProvider } from '../provider.js';
import { loadSessionAuth } from './auth-state.js';
import { filterBaileysLog } from './log-filter.js';
import { guardLibsignalConsole } from '@wuts/wa-emulator/libsignal-log-guard';
import { mediaTransport, type MediaHostOptions } from './media-transfer.js';
import { BaileysDeviceSession } from './session.js';
import { GroupMetadataCache } from './group-cache.js';

export interface BaileysProviderOptions {
  /** The WhatsApp Web socket URL (WUTS_WA_WS_URL); WhatsApp's own when absent (see whatsappEndpoint). */
  waWsUrl?: string | undefined;
  logger: Logger;
  /** How long an unanswered query waits (Baileys' default: 60 s). */
  defaultQueryTimeoutMs?: number | undefined;
  /** How long the first QR code lives; the following ones too (Baileys: 60 s, then 20 s each). */
  qrTimeoutMs?: number | undefined;
  /** How long the WebSocket handshake may take (Baileys' default: 20 s). */
  connectTimeoutMs?: number | undefined;
  /** How long a send waits for the server's ack (default 30 s). */
  ackTimeoutMs?: number | undefined;
  /** WhatsApp's media host, and the CA it is trusted by for a sandbox (uploads of sent media). */
  media?: MediaHostOptions | undefined;
}

export class DeviceAlreadyStartedError extends Error {
  constructor(deviceId: string) {
    super(`device ${deviceId} already has a WhatsApp session in this process`);
    this.name = 'DeviceAlreadyStartedError';
  }
}

export class ProviderClosedError extends Error {
  constructor() {
    super('the WhatsApp provider is closed');
    this.name = 'ProviderClosedError';
  }
}

/** Baileys is chatty: its logger is at most 'warn', quieter when WUTS's logger is. */
function baileysLogger(parent: Logger, deviceId: string): Logger {
  const warn = parent.levels.values.warn ?? 40;
  const level = parent.levelVal > warn ? parent.level : 'warn';
  return parent.child({ component: 'baileys', deviceId }, { level });
}

/** Baileys reports messages only once the socket logged in, long after the session was made. */
function requireSession(session: BaileysDeviceSession | undefined): BaileysDeviceSession {
  if (!session) throw new Error('a message arrived before its session was set up');
  return session;
}

export interface BaileysProvider extends WhatsAppProvider {
  start(options: StartOptions): Promise<BaileysDeviceSession>;
  /** The live session of a device, if this process holds one. */
  session(deviceId: string): BaileysDeviceSession | undefined;
}

/**
 * WUTS's WhatsApp provider over Baileys 7.0.0-rc14: one socket per start(), its session
 * (creds and Signal keys) in the given SessionStore. One process holds at most one live
 * session per device: a second start() before the first one's onClose is refused.
 */
export function createBaileysProvider(options: BaileysProviderOptions): BaileysProvider {
  guardLibsignalConsole();
  const live = new Map<string, BaileysDeviceSession | 'starting'>();
  const queryTimeoutMs = options.defaultQueryTimeoutMs ?? 60_000;
  const transport = options.media ? mediaTransport(options.media) : undefined;
  // The very URL a linked session records as its endpoint (src/devices/linked-endpoint.ts).
  const waWebSocketUrl = whatsappEndpoint(options.waWsUrl);
  let closed = false;

  async function start(opts: StartOptions): Promise<BaileysDeviceSession> {
    if (closed) throw new ProviderClosedError();
    if (live.has(opts.deviceId)) throw new DeviceAlreadyStartedError(opts.deviceId);
    live.set(opts.deviceId, 'starting');
    try {
      const logger = baileysLogger(options.logger, opts.deviceId);
      const auth = await loadSessionAuth(opts.store, logger);
      if (closed) throw new ProviderClosedError();
      // eslint-disable-next-line prefer-const -- the socket's getMessage reads the session made after the socket
      let session: BaileysDeviceSession | undefined;
      const groups = new GroupMetadataCache();
      const socket = makeWASocket({
        waWebSocketUrl,
        auth: auth.state,
        // known-benign warnings dropped, the 515 restart after pairing not an error (log-filter.ts)
        logger: filterBaileysLog(logger),
        browser: ['WUTS', 'Chrome', '1.0'],
        printQRInTerminal: false,
        markOnlineOnConnect: false,
        syncFullHistory: false,
        shouldSyncHistoryMessage: () => false,
        // our own sends are tracked by the outbound queue, not echoed back as received
        emitOwnEvents: false,
        getMessage: async (key) => session?.messaging.getMessage(key),
        cachedGroupMetadata: async (jid) => groups.cached(jid),
        ...(transport?.fetchAgent ? { fetchAgent: transport.fetchAgent } : {}),
        // store before acknowledging (patches/@whiskeysockets+baileys+7.0.0-rc14.patch)
        beforeMessageReceipt: async (message, { offline }) => requireSession(session).messaging.keepBeforeReceipt(message, offline),
        beforeReceiptAck: async (updates) => requireSession(session).messaging.keepReceipts(updates),
        defaultQueryTimeoutMs: queryTimeoutMs,
        // Baileys retries a failed key commit 10 times, 3 s apart, while the socket waits;
        // a database that fails three times in 1.5 s will not answer the seventh
        transactionOpts: { maxCommitRetries: 3, delayBetweenTriesMs: 500 },
        ...(options.qrTimeoutMs ? { qrTimeout: options.qrTimeoutMs } : {}),
        ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      });
      session = new BaileysDeviceSession({
        deviceId: opts.deviceId,
        socket,
        auth,
        events: opts.events,
        logger,
        pairingPhone: opts.pairingPhone,
        queryTimeoutMs,
        ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
        groups,
        onFinished: (s) => {
          if (live.get(s.deviceId) === s) live.delete(s.deviceId);
        },
      });
      live.set(opts.deviceId, session);
      return session;
    } catch (err) {
      live.delete(opts.deviceId);
      throw err;
    }
  }

  return {
    start,
    session(deviceId) {
      const s = live.get(deviceId);
      return s === 'starting' ? undefined : s;
    },
    async close() {
      closed = true;
      const sessions = [...live.values()].filter((s): s is BaileysDeviceSession => s !== 'starting');
      await Promise.allSettled(sessions.map((s) => s.stop()));
    },
  };
}

export type { DeviceSession };
export { BaileysDeviceSession, SessionClosedError } from './session.js';
export { classifyDisconnect } from './disconnect.js';
