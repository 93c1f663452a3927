import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { LIMITS, type KeyPair } from '../model.js';
import type { TrafficLog } from './traffic.js';
import { WireSession, type SessionHooks } from './session.js';

export interface WireServerOptions {
  serverStatic: KeyPair;
  certChain: Uint8Array;
  traffic: TrafficLog;
  hooks: SessionHooks;
  logger: Logger;
}

/** The wire protocol on an HTTP server: WebSocket upgrades of /ws/chat become WireSessions; any other upgrade is refused. */
export function serveWireProtocol(server: Server, opts: WireServerOptions): { close(): void } {
  const sessions = new Set<WireSession>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.frameBytes + 64 });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws/chat') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new WireSession(ws, opts.hooks, opts.serverStatic, opts.certChain, opts.traffic, opts.logger);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
    });
  });
  return {
    close() {
      for (const session of sessions) session.close();
      wss.close();
    },
  };
}
