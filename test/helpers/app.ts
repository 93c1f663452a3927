import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { systemClock, type Deps } from '../../src/deps.js';
import { Identities } from '../../src/auth/identities.js';
import { BusRelay } from '../../src/cluster/bus-relay.js';
import { EventBus } from '../../src/events/bus.js';
import { openMediaStore } from '../../src/media/open-store.js';
import type { MediaStore } from '../../src/media/store.js';
import { createWorkers, type WhatsAppTimeouts, type WorkerOptions, type Workers } from '../../src/workers/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';

type Call = (method: InjectOptions['method'], url: string, token?: string, body?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;

/** One WUTS node in this process: the API and its workers, as `wuts serve` builds them. */
export interface TestNode {
  app: FastifyInstance;
  deps: Deps;
  /** The node's workers; the webhook dispatcher runs only when the node was started with it. */
  workers: Workers;
  /** On PostgreSQL, the relay of the node's bus to the other nodes on the same database (started with the node). */
  relay: BusRelay | undefined;
  /** app.inject with a bearer token. */
  call: Call;
  /** Closes the API, then the workers (WhatsApp sessions stay stored). */
  close(): Promise<void>;
}

export interface TestApp extends TestNode {
  database: TestDatabase;
  masterToken: string;
  /** Closes the node's API and workers but keeps the database (a restart follows with startNode). */
  closeNode(): Promise<void>;
  /** Closes the node and drops its database. */
  close(): Promise<void>;
}

export interface NodeOptions {
  /** Run the webhook dispatcher. */
  dispatcher?: boolean;
  /** The node's logger (silent by default); a test that reads the log passes its own. */
  logger?: Deps['logger'];
  /** The node's media store; the one the settings name (files under the data directory) when absent. */
  media?: MediaStore;
}

/** WhatsApp timeouts for tests: a missing answer fails in seconds, not a minute. */
export const TEST_WHATSAPP: WhatsAppTimeouts = { defaultQueryTimeoutMs: 5_000, connectTimeoutMs: 5_000, backoffInitialMs: 200 };

/**
 * A node on an existing database and settings (a restart, or a second node): the API, and the
 * workers started (devices that should be connected reconnect; webhooks only with `dispatcher`).
 */
export async function startNode(
  base: Pick<Deps, 'config' | 'db' | 'masterToken' | 'secrets'>,
  workerOptions: WorkerOptions = {},
  options: NodeOptions = {},
): Promise<TestNode> {
  const media = options.media ?? (await openMediaStore(base.config));
  const logger = options.logger ?? pino({ level: 'silent' });
  const deps: Deps = { ...base, logger, bus: new EventBus(), clock: systemClock, media, identities: new Identities(base.config, logger) };
  const app = await buildApp(deps);
  const relay = base.config.databaseUrl ? new BusRelay(deps.bus, { databaseUrl: base.config.databaseUrl, nodeId: randomUUID(), logger }) : undefined;
  relay?.start();
  const workers = createWorkers(deps, { ...workerOptions, whatsapp: { ...TEST_WHATSAPP, ...workerOptions.whatsapp } });
  await workers.start({ dispatcher: options.dispatcher ?? false });
  const call: Call = (method, url, token, body, headers = {}) =>
    app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
  return {
    app,
    deps,
    workers,
    relay,
    call,
    close: async () => {
      await app.close();
      await workers.stop();
      await relay?.stop();
      if (!options.media) await media.close();
    },
  };
}

export async function createTestApp(overrides: Partial<Config> = {}, workerOptions: WorkerOptions = {}, options: NodeOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const masterToken = 'test_master_' + randomBytes(24).toString('hex');
  const config: Config = { ...loadConfig({}), dataDir: database.dataDir, databaseUrl: database.databaseUrl, logLevel: 'silent', ...overrides };
  const node = await startNode({ config, db: database.db, masterToken, secrets: database.secrets }, workerOptions, options);
  return {
    ...node,
    database,
    masterToken,
    closeNode: node.close,
    close: async () => {
      await node.close();
      await database.drop();
    },
  };
}
