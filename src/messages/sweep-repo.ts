import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Queue queries across tenants, for the outbound sender's periodic sweep only (like the webhook
 * dispatcher's claims): everything they find is then handled through tenant-scoped calls.
 */
export async function expiredQueued(db: Kysely<Database>, now: string, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  return db
    .selectFrom('messages')
    .select(['id', 'tenant_id'])
    .where('status', '=', 'queued')
    .where('expires_at', '<=', now)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Queued messages of devices that were logged out: they can never be sent from that session. */
export async function queuedOfLoggedOutDevices(db: Kysely<Database>, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  return db
    .selectFrom('messages as m')
    .innerJoin('devices as d', 'd.id', 'm.device_id')
    .select(['m.id', 'm.tenant_id'])
    .where('m.status', '=', 'queued')
    .where('d.status', '=', 'logged_out')
    .orderBy('m.id')
    .limit(limit)
    .execute();
}

/** Devices with a message due to be sent. */
export async function devicesWithDueMessages(db: Kysely<Database>, now: string): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('device_id')
    .distinct()
    .where('status', '=', 'queued')
    .where('next_attempt_at', '<=', now)
    .limit(10_000)
    .execute();
  return rows.map((r) => r.device_id);
}
