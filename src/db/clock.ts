import { sql, type RawBuilder } from 'kysely';
import type { DialectName } from './connect.js';

/** The database's clock in milliseconds: every node compares lease times on this one clock. */
export function dbNowMs(dialect: DialectName): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast(unixepoch('subsec') * 1000 as integer)`;
}
