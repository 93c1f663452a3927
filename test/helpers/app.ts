import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createAppContext, type AppContext } from '../../src/context.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  database: TestDatabase;
  masterToken: string;
  close(): Promise<void>;
  /** app.inject with a bearer token. */
  call(method: InjectOptions['method'], url: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** WhatsApp timeouts for tests: a missing answer fails in seconds, not a minute. */
export const TEST_WHATSAPP = { defaultQueryTimeoutMs: 5_000, connectTimeoutMs: 5_000, backoffInitialMs: 200 };

export async function createTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const masterToken = 'test_master_' + randomBytes(24).toString('hex');
  const config: Config = { ...loadConfig({}), dataDir: database.dataDir, databaseUrl: database.databaseUrl, logLevel: 'silent', ...overrides };
  const ctx: AppContext = createAppContext({ config, db: database.db, masterToken, logger: pino({ level: 'silent' }) }, TEST_WHATSAPP);
  const app = await buildApp(ctx);
  return {
    app,
    ctx,
    database,
    masterToken,
    close: async () => {
      await app.close();
      await ctx.devices.stopAll();
      await database.drop();
    },
    call: (method, url, token, body, headers = {}) =>
      app.inject({
        method,
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
      }),
  };
}
