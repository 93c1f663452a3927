import { pino } from 'pino';
import { EmulatorAdminClient } from './admin/client.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from './emulator.js';

/** An emulator started for a test, with a client of its admin API. */
export interface TestEmulator extends RunningEmulator {
  admin: EmulatorAdminClient;
}

/**
 * Starts an emulator in this process for a test: on 127.0.0.1, a free port (0), in memory
 * unless `statePath` is given, logging nothing unless EMULATOR_TEST_LOG names a pino level.
 * Any option may be overridden (a test restarting it on the same port passes `port`); `admin`
 * carries `adminToken` when one is given.
 */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', logger: pino({ level: process.env.EMULATOR_TEST_LOG ?? 'silent' }), ...options });
  return { ...emulator, admin: new EmulatorAdminClient(emulator, options.adminToken ? { token: options.adminToken } : {}) };
}
