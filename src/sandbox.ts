import path from 'node:path';
import type { Logger } from 'pino';
import type { RunningEmulator } from '@wuts/wa-emulator';
import type { Config } from './config.js';

/** WUTS_EMULATOR=true: the WhatsApp emulator in this process, and WhatsApp connections pointed at it. */
export async function startSandbox(config: Config, logger: Logger): Promise<RunningEmulator | undefined> {
  if (config.emulatorPort === undefined) return undefined;
  const { startEmulator } = await import('@wuts/wa-emulator');
  const emulator = await startEmulator({
    port: config.emulatorPort,
    host: '127.0.0.1',
    statePath: path.join(config.dataDir, 'emulator-state.json'),
    logger: logger.child({ component: 'emulator' }),
    ...(config.emulatorAdminToken ? { adminToken: config.emulatorAdminToken } : {}),
  });
  if (config.waWsUrl && config.waWsUrl !== emulator.wsUrl)
    logger.warn({ ignored: config.waWsUrl }, 'WUTS_EMULATOR is on: WUTS_WA_WS_URL is replaced by the emulator');
  config.waWsUrl = emulator.wsUrl;
  return emulator;
}
