import { sql } from 'kysely';
import type { Db } from './connect.js';

/** The database cannot be reached at start: the message names where and why, in one line. */
export class DatabaseUnavailableError extends Error {}

interface DriverError {
  code?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
}

/** Every error in the chain: node reports a refused connection to several addresses as an AggregateError with an empty message. */
function errorChain(err: unknown, depth = 0): DriverError[] {
  if (!err || typeof err !== 'object' || depth > 4) return [];
  const e = err as DriverError;
  return [e, ...(e.errors ?? []).flatMap((x) => errorChain(x, depth + 1)), ...errorChain(e.cause, depth + 1)];
}

/** Why a connection attempt failed, in words an operator can act on. */
export function connectFailureReason(err: unknown, connectTimeoutMs: number | undefined): string {
  const chain = errorChain(err);
  const codes = new Set(chain.map((e) => e.code).filter(Boolean));
  if (codes.has('ECONNREFUSED')) return 'connection refused';
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN')) return 'host not found';
  if (codes.has('EHOSTUNREACH') || codes.has('ENETUNREACH')) return 'host unreachable';
  const messages = chain.map((e) => e.message?.trim()).filter((m): m is string => !!m);
  if (codes.has('ETIMEDOUT') || messages.some((m) => /timeout/i.test(m))) {
    return connectTimeoutMs ? `no answer within ${connectTimeoutMs / 1000} s` : 'no answer (timed out)';
  }
  return (messages[0] ?? 'unknown error').replace(/\s+/g, ' ');
}

/** `host:port` of a PostgreSQL URL, without user or password. */
export function postgresAddress(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return 'the configured address';
  }
}

/** Throws unless the database answers a trivial query. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}

/** Throws DatabaseUnavailableError unless the database answers a trivial query. */
export async function assertDatabaseReachable(db: Db, options: { databaseUrl?: string | undefined; connectTimeoutMs?: number | undefined }): Promise<void> {
  try {
    await pingDatabase(db);
  } catch (err) {
    const where = db.dialect === 'postgres' && options.databaseUrl ? `PostgreSQL at ${postgresAddress(options.databaseUrl)}` : 'the SQLite database';
    throw new DatabaseUnavailableError(`cannot connect to ${where}: ${connectFailureReason(err, options.connectTimeoutMs)}`);
  }
}
