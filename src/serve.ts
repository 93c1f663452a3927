import { pino } from 'pino';
import { buildApp } from './app.js';
import { loadMasterToken } from './auth/master-token.js';
import type { Config } from './config.js';
import { databaseOptions, openDatabase } from './db/connect.js';
import { migrateDatabase } from './db/migrate.js';
import { systemClock, type Deps } from './deps.js';
import { EventBus } from './events/bus.js';
import { startSandbox } from './sandbox.js';
import { createWorkers } from './workers/index.js';

/** `wuts serve`: migrate, then serve the API until SIGINT or SIGTERM. */
export async function serve(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'headers.authorization'] });
  const master = loadMasterToken(config.masterToken, config.dataDir);
  const sandbox = await startSandbox(config, logger);
  const applied = await migrateDatabase(databaseOptions(config));
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const db = openDatabase(databaseOptions(config));

  const deps: Deps = { config, db, masterToken: master.token, logger, bus: new EventBus(), clock: systemClock };
  const app = await buildApp(deps);
  const workers = createWorkers(deps);
  await workers.start();
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
    await workers.stop();
    await sandbox?.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
