import path from 'node:path';
import type { Logger } from 'pino';
import type { RunningEmulator } from '@wuts/wa-emulator';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import { sessionsLinkedElsewhere } from './devices/session-repo.js';
import { whatsappEndpoint } from './whatsapp/endpoint.js';

const SANDBOX_HOST = '127.0.0.1';

/** WUTS_EMULATOR=true while devices hold sessions linked on another WhatsApp endpoint, without WUTS_EMULATOR_WITH_REAL_SESSIONS. */
export class SandboxRefusedError extends Error {}

/**
 * The endpoint the sandbox's emulator serves (its `wsUrl`), known before it listens. With port 0
 * the port is not known yet: the sessions of an earlier sandbox count as elsewhere, as they are
 * (a new port is a new endpoint).
 */
function sandboxEndpoint(port: number): string {
  return whatsappEndpoint(`ws://${SANDBOX_HOST}:${port}/ws/chat`);
}

/**
 * Devices linked on another endpoint (WhatsApp itself, most likely) would never connect while
 * the sandbox holds WhatsApp connections: refuse to start, unless the operator says so. Either
 * way such devices are never connected to the emulator (which would answer 401 and end them).
 */
async function checkOtherSessions(config: Config, logger: Logger, db: Db, endpoint: string): Promise<void> {
  const elsewhere = await sessionsLinkedElsewhere(db.kysely, endpoint);
  const count = elsewhere.reduce((n, e) => n + e.sessions, 0);
  if (count === 0) return;
  const where = elsewhere.map((e) => `${e.endpoint}: ${e.sessions}`).join(', ');
  if (config.emulatorWithRealSessions) {
    logger.warn(
      { sessions: count, endpoints: elsewhere },
      'WUTS_EMULATOR_WITH_REAL_SESSIONS: devices linked on another WhatsApp endpoint stay disconnected, their sessions kept',
    );
    return;
  }
  const devices = count === 1 ? '1 device has a WhatsApp session' : `${count} devices have WhatsApp sessions`;
  throw new SandboxRefusedError(
    `WUTS_EMULATOR=true refused: ${devices} linked on another endpoint (${where}) that the sandbox would leave disconnected; start without WUTS_EMULATOR, or set WUTS_EMULATOR_WITH_REAL_SESSIONS=true to run the sandbox anyway (those devices stay disconnected, their sessions kept)`,
  );
}

/** WUTS_EMULATOR=true: the WhatsApp emulator in this process, and WhatsApp connections pointed at it. */
export async function startSandbox(config: Config, logger: Logger, db: Db): Promise<RunningEmulator | undefined> {
  if (config.emulatorPort === undefined) return undefined;
  await checkOtherSessions(config, logger, db, sandboxEndpoint(config.emulatorPort));
  const { startEmulator } = await import('@wuts/wa-emulator');
  const emulator = await startEmulator({
    port: config.emulatorPort,
    host: SANDBOX_HOST,
    statePath: path.join(config.dataDir, 'emulator-state.json'),
    logger: logger.child({ component: 'emulator' }),
    ...(config.emulatorAdminToken ? { adminToken: config.emulatorAdminToken } : {}),
  });
  if (config.waWsUrl && config.waWsUrl !== emulator.wsUrl)
    logger.warn({ ignored: config.waWsUrl }, 'WUTS_EMULATOR is on: WUTS_WA_WS_URL is replaced by the emulator');
  config.waWsUrl = emulator.wsUrl;
  // media go to and come from the emulator's own HTTPS host, trusted by its certificate
  config.waMediaHost = new URL(emulator.mediaUrl).host;
  config.waMediaCaPem = emulator.mediaCaPem;
  return emulator;
}
