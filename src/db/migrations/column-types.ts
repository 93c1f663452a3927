import type { DialectName } from '../connect.js';

/** Column types per dialect: SQLite keeps ids and times as text and booleans as 0/1. */
export function columnTypes(dialect: DialectName) {
  const pg = dialect === 'postgres';
  return {
    pg,
    uuid: pg ? ('uuid' as const) : ('text' as const),
    ts: pg ? ('timestamptz' as const) : ('text' as const),
    bool: pg ? ('boolean' as const) : ('integer' as const),
  };
}
