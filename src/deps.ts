import type { Logger } from 'pino';
import type { Identities } from './auth/identities.js';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { EventBus } from './events/bus.js';
import type { SecretBox } from './lib/secret-box.js';
import type { MediaStore } from './media/store.js';

/** The time as the code reads it; tests that need to move it pass their own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * What services, repositories' callers and workers are given: settings, the database, the
 * master token, the secret box, a logger, the bus, the clock, the media store and the identity cache. Never a worker, never the application.
 */
export interface Deps {
  config: Config;
  db: Db;
  /** The platform operator's token, as loaded at start (WUTS_MASTER_TOKEN or the data directory). */
  masterToken: string;
  /** Seals and opens the secrets stored at rest (WUTS_SECRET_KEY and its previous keys). */
  secrets: SecretBox;
  logger: Logger;
  bus: EventBus;
  clock: Clock;
  /** Where media bytes live (WUTS_MEDIA_STORE); only the media service (src/media/) uses it. */
  media: MediaStore;
  /** Token identities kept in memory, and how changes drop them on every node (src/auth/identities.ts). */
  identities: Identities;
}
