import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** `count` messages left the device's queue at once (never below zero). */
export async function releaseQueueSlots(db: Kysely<Database>, tenantId: string, deviceId: string, count: number): Promise<void> {
  await db
    .updateTable('devices')
    .set((eb) => ({
      queued_count: eb
        .case()
        .when('queued_count', '>', count)
        .then(eb('queued_count', '-', count))
        .else(0)
        .end(),
    }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', deviceId)
    .where('queued_count', '>', 0)
    .execute();
}
