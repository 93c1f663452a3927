import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { adminRoutes, installErrorHandler } from './admin-routes.js';
import { buildCertChain } from './certificate.js';
import { dispatchNode } from './dispatch.js';
import { EmulatorService } from './emulator.js';
import { Hub } from './hub.js';
import { guardLibsignalConsole } from './log-guard.js';
import { onClientPayload } from './login.js';
import { LIMITS } from './model.js';
import { WireSession, type SessionHooks } from './session.js';
import { loadState, StateSaver } from './store.js';

export interface EmulatorOptions {
  /** 0 = a random free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** persist accounts, devices, keys and queues to this JSON file; absent = in memory */
  statePath?: string;
  logger?: Logger;
}

export interface RunningEmulator {
  /** http://host:port: the admin API, /openapi.json */
  url: string;
  /** ws://host:port/ws/chat: give it to Baileys as waWebSocketUrl */
  wsUrl: string;
  close(): Promise<void>;
}

export { guardLibsignalConsole } from './log-guard.js';
export { makeMemoryAuthState, cloneAuth } from './auth-state.js';

/** Starts the WhatsApp emulator: the wire protocol at /ws/chat and the admin API, on one port. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  guardLibsignalConsole();
  const logger = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const host = opts.host ?? '127.0.0.1';
  const state = await loadState(opts.statePath);
  const saver = new StateSaver(opts.statePath, state, logger);
  const hub = new Hub(state, saver, logger);
  const certChain = buildCertChain(state.certRoot, state.serverStatic);

  const adminLogger: FastifyBaseLogger = logger.child({ component: 'emulator-admin' }, { level: 'warn' });
  // unknown fields are a 400, not silently dropped
  const app = Fastify({ loggerInstance: adminLogger, bodyLimit: LIMITS.httpBodyBytes, ajv: { customOptions: { removeAdditional: false } } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'WUTS WhatsApp emulator admin API', version: '1.0.0', description: 'Accounts, linking, messages and traffic of the local WhatsApp emulator. The WhatsApp Web wire protocol is served at /ws/chat.' },
    },
  });
  installErrorHandler(app);

  const hooks: SessionHooks = {
    onClientPayload: async (session, payload) => onClientPayload(hub, session, payload),
    onNode: async (session, node) => dispatchNode(hub, session, node),
    onClose: (session) => hub.detach(session),
  };
  const sessions = new Set<WireSession>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.frameBytes + 64 });
  app.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws/chat') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new WireSession(ws, hooks, state.serverStatic, certChain, hub.traffic, logger);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
    });
  });

  const service = new EmulatorService(hub, '', logger);
  adminRoutes(app, service);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true } }, async () => ({ success: true }));

  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port ?? 0;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}`;
  const wsUrl = `ws://${hostPart}:${port}/ws/chat`;

  service.wsUrl = wsUrl;
  await service.startPhones();
  logger.info({ url, wsUrl, accounts: hub.registry.list().length }, 'WhatsApp emulator listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl,
    close: () =>
      (closing ??= (async () => {
        await service.stop();
        for (const session of sessions) session.close();
        wss.close();
        await app.close();
        await saver.flush();
      })()),
  };
}
