import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { RunningEmulator } from './emulator/index.js';
import { buildApp } from './app.js';
import { loadMasterToken } from './auth/master-token.js';
import type { Config } from './config.js';
import { createAppContext, type AppContext } from './context.js';
import type { WebhookPoster } from './webhooks/deliver.js';
import { openDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createWebhookPoster } from './webhooks/deliver.js';
import { WebhookDispatcher } from './workers/webhook-dispatcher.js';

/** `wuts serve`: migrate, then serve the API until SIGINT or SIGTERM. */
export async function serve(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'headers.authorization'] });
  const master = loadMasterToken(config.masterToken, config.dataDir);
  const sandbox = await startSandbox(config, logger);
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrateToLatest(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');

  const ctx = createAppContext({ config, db, masterToken: master.token, logger });
  const app = await buildApp(ctx);
  const dispatcher = createDispatcher(ctx);
  dispatcher.start();
  await ctx.devices.start();
  const address = await app.listen({ port: config.port, host: config.host });

  if (master.filePath) {
    console.log(`Master token ${master.generated ? 'generated and saved' : 'kept'} in ${master.filePath} (mode 0600); read it with: cat ${master.filePath}`);
  } else {
    console.log('Master token: taken from WUTS_MASTER_TOKEN');
  }
  const where = db.dialect === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL';
  if (sandbox) console.log(`WhatsApp emulator (sandbox) at ${sandbox.url}; WhatsApp connections go to ${sandbox.wsUrl}`);
  console.log(`WUTS listening on ${address} (${where}); API reference at ${address}/docs`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await app.close();
    await ctx.devices.stopAll();
    await dispatcher.stop();
    await dispatcher.poster.close();
    await sandbox?.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

export function createDispatcher(ctx: AppContext): WebhookDispatcher & { poster: WebhookPoster } {
  const poster = createWebhookPoster({ timeoutMs: ctx.config.webhookTimeoutMs, allowPrivate: ctx.config.allowPrivateWebhooks });
  const dispatcher = new WebhookDispatcher({
    db: ctx.db,
    bus: ctx.bus,
    logger: ctx.logger,
    poster,
    scheduleMs: ctx.config.webhookRetryScheduleMs,
    concurrency: ctx.config.webhookConcurrency,
    perWebhookConcurrency: ctx.config.webhookConcurrencyPerWebhook,
    timeoutMs: ctx.config.webhookTimeoutMs,
    disableAfterMs: ctx.config.webhookDisableAfterMs,
    eventRetentionDays: ctx.config.eventRetentionDays,
  });
  return Object.assign(dispatcher, { poster });
}

/** WUTS_EMULATOR=true: the WhatsApp emulator in this process, and WhatsApp connections pointed at it. */
async function startSandbox(config: Config, logger: Logger): Promise<RunningEmulator | undefined> {
  if (config.emulatorPort === undefined) return undefined;
  const { startEmulator } = await import('./emulator/index.js');
  const emulator = await startEmulator({
    port: config.emulatorPort,
    host: '127.0.0.1',
    statePath: path.join(config.dataDir, 'emulator-state.json'),
    logger: logger.child({ component: 'emulator' }),
  });
  if (config.waWsUrl && config.waWsUrl !== emulator.wsUrl) logger.warn({ ignored: config.waWsUrl }, 'WUTS_EMULATOR is on: WUTS_WA_WS_URL is replaced by the emulator');
  config.waWsUrl = emulator.wsUrl;
  return emulator;
}
