import os from 'node:os';
import { buildApp } from './app.js';
import { loadMasterToken } from './auth/master-token.js';
import { BusRelay } from './cluster/bus-relay.js';
import type { Config } from './config.js';
import { databaseOptions, openDatabase } from './db/connect.js';
import { migrateDatabase } from './db/migrate.js';
import { systemClock, type Deps } from './deps.js';
import { Identities } from './auth/identities.js';
import { EventBus } from './events/bus.js';
import { lockDataDir } from './lib/data-dir-lock.js';
import { createLogger, noticeLogger } from './lib/logger.js';
import { SecretBox } from './lib/secret-box.js';
import { openMediaStore } from './media/open-store.js';
import { startSandbox } from './sandbox.js';
import { sealSecretsAtRest } from './secrets/at-rest.js';
import { loadSecretKey } from './secrets/key-file.js';
import { createWorkers } from './workers/index.js';

/** After the grace period, the rest of the shutdown (closing sockets and the database) gets this long. */
const CLOSE_MARGIN_MS = 5_000;

/** What a started `serve` answers: where it listens, and what a sandbox needs to prepare its demo. */
export interface Serving {
  url: string;
  masterToken: string;
  /** The in-process emulator's base URL (WUTS_EMULATOR=true). */
  emulatorUrl: string | undefined;
}

/**
 * `wuts serve`: migrate, then serve the API until SIGINT or SIGTERM. The workers start only once
 * the port is bound, so a start that fails (the port taken, the SQLite data directory in use by
 * another process) has changed nothing.
 */
export async function serve(config: Config): Promise<Serving> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  // One process per SQLite data directory; PostgreSQL nodes share the database by design.
  if (!config.databaseUrl) await lockDataDir(config.dataDir);
  const master = loadMasterToken(config.masterToken, config.dataDir);
  const secretKey = loadSecretKey(config.secretKey, config.dataDir);
  const secrets = new SecretBox(secretKey.key, config.previousSecretKeys);
  const applied = await migrateDatabase(databaseOptions(config));
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const nodeId = config.cluster.nodeId ?? defaultNodeId(config.port);
  const db = openDatabase({ ...databaseOptions(config), applicationName: `wuts:${nodeId}` });
  // A sandbox that would sit on real sessions is refused before anything else happens.
  const sandbox = await startSandbox(config, logger, db).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  // Before anything reads a secret: a key that does not match the data stops the start here.
  try {
    const sealedNow = await sealSecretsAtRest(db, secrets);
    if (sealedNow.sealed || sealedNow.resealed) logger.info({ ...sealedNow, keyId: secrets.keyId }, 'secrets at rest sealed with the current key');
  } catch (err) {
    await sandbox?.close();
    await db.close();
    throw err;
  }

  const media = await openMediaStore(config).catch(async (err: unknown) => {
    await sandbox?.close();
    await db.close();
    throw err;
  });
  const deps: Deps = {
    config,
    db,
    masterToken: master.token,
    secrets,
    logger,
    bus: new EventBus(),
    clock: systemClock,
    media,
    identities: new Identities(config, logger),
  };
  const app = await buildApp(deps);
  const address = await app.listen({ port: config.port, host: config.host });
  // PostgreSQL: the other nodes hear this node's wakes and invalidations (SQLite has no other node)
  const relay = config.databaseUrl
    ? new BusRelay(deps.bus, { databaseUrl: config.databaseUrl, nodeId, logger, connectTimeoutMs: config.pgConnectTimeoutMs })
    : undefined;
  relay?.start();
  const workers = createWorkers(deps, { nodeId });
  await workers.start();

  let closing = false;
  /**
   * Stops taking work (no new claims, no new sends, no new connections), gives the deliveries,
   * sends and requests in flight the grace period, abandons the rest (their leases run out and
   * the next start sends them again), closes the WhatsApp sockets and the database, exits 0.
   */
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    const deadline = Date.now() + config.shutdownGraceMs;
    const force = setTimeout(() => {
      logger.error('shutdown did not finish in time');
      process.exit(1);
    }, config.shutdownGraceMs + CLOSE_MARGIN_MS);
    force.unref();
    const requestsDone = app.close();
    await Promise.all([workers.stop({ deadline }), Promise.race([requestsDone, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))])]);
    await relay?.stop();
    await sandbox?.close();
    await media.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // Logged once a signal is handled: whoever waits for the line may stop WUTS at once.
  const notice = noticeLogger(logger);
  if (master.filePath) {
    notice.info(`Master token ${master.generated ? 'generated and saved' : 'kept'} in ${master.filePath} (mode 0600); read it with: cat ${master.filePath}`);
  } else {
    notice.info('Master token: taken from WUTS_MASTER_TOKEN');
  }
  if (secretKey.filePath) {
    notice.info(
      `Secret key (id ${secrets.keyId}) ${secretKey.generated ? 'generated and saved' : 'kept'} in ${secretKey.filePath} (mode 0600); back it up: without it the WhatsApp sessions and webhook secrets cannot be read`,
    );
  } else {
    notice.info(`Secret key (id ${secrets.keyId}): taken from WUTS_SECRET_KEY`);
  }
  const where = db.dialect === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL';
  if (sandbox) notice.info(`WhatsApp emulator (sandbox) at ${sandbox.url}; WhatsApp connections go to ${sandbox.wsUrl}`);
  notice.info({ nodeId }, `WUTS listening on ${address} (${where}); API reference at ${address}/docs`);
  return { url: address, masterToken: master.token, emulatorUrl: sandbox?.url };
}

/** `<hostname>:<port>`: a node started again on its host and port is the same node (its port bound, the earlier process is gone). */
function defaultNodeId(port: number): string {
  // port 0 (any free port, tests): the process id tells nodes on one host apart
  return `${os.hostname()}:${port === 0 ? `pid${process.pid}` : port}`;
}
