import type pg from 'pg';
import { preparedStatementName } from './prepared.js';

type Query = (...args: unknown[]) => unknown;

/**
 * Makes a pooled connection run prepared queries' SQL as named statements, so PostgreSQL
 * parses and plans each of them once per connection instead of on every call. Other SQL runs
 * as before (Kysely's driver calls `query(text, values)`).
 */
export function prepareNamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (...args: unknown[]) => {
    const [text, values] = args;
    const name = typeof text === 'string' && args.length === 2 && Array.isArray(values) ? preparedStatementName(text) : undefined;
    return name ? query({ name, text, values }) : query(...args);
  };
}
