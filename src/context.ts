import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { EventBus } from './events/bus.js';

/** What services need from the running process: settings, the database, the master token. */
export interface AppContext {
  config: Config;
  db: Db;
  masterToken: string;
  logger: Logger;
  bus: EventBus;
}
