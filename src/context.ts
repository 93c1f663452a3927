import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import { EventBus } from './events/bus.js';
import { DeviceSupervisor } from './workers/device-supervisor.js';
import { MessageSender } from './workers/message-sender.js';

/** What services need from the running process: settings, the database, the master token. */
export interface AppContext {
  config: Config;
  db: Db;
  masterToken: string;
  logger: Logger;
  bus: EventBus;
  devices: DeviceSupervisor;
  /** The outbound message queue's worker (stopped by devices.stopAll()). */
  outbound: MessageSender;
}

/** The context of a running WUTS: the event bus, the device supervisor and the outbound queue around the database. */
export function createAppContext(
  base: { config: Config; db: Db; masterToken: string; logger: Logger },
  whatsapp: { defaultQueryTimeoutMs?: number; connectTimeoutMs?: number; qrTimeoutMs?: number; backoffInitialMs?: number; ackTimeoutMs?: number } = {},
): AppContext {
  const ctx = { ...base, bus: new EventBus() } as AppContext;
  ctx.devices = new DeviceSupervisor(ctx, {
    provider: async () => {
      const { createBaileysProvider } = await import('./whatsapp/baileys/index.js');
      return createBaileysProvider({ waWsUrl: base.config.waWsUrl, logger: base.logger.child({ component: 'whatsapp' }), ackTimeoutMs: base.config.sendAckTimeoutMs, ...whatsapp });
    },
    backoffInitialMs: whatsapp.backoffInitialMs,
  });
  ctx.outbound = new MessageSender(ctx);
  ctx.outbound.start((deviceId) => ctx.devices.live(deviceId));
  return ctx;
}
