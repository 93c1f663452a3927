import type { Kysely } from 'kysely';
import { PreparedQuery } from '../db/prepared.js';
import type { Database } from '../db/schema.js';

const releaseQueueSlotsQuery = new PreparedQuery(['tenantId', 'deviceId', 'count'], (db, p) =>
  db
    .updateTable('devices')
    .set((eb) => ({
      queued_count: eb
        .case()
        .when('queued_count', '>', p.count)
        .then(eb('queued_count', '-', p.count))
        .else(0)
        .end(),
    }))
    .where('tenant_id', '=', p.tenantId)
    .where('id', '=', p.deviceId)
    .where('queued_count', '>', 0),
);

/** `count` messages left the device's queue at once (never below zero). */
export async function releaseQueueSlots(db: Kysely<Database>, tenantId: string, deviceId: string, count: number): Promise<void> {
  await releaseQueueSlotsQuery.execute(db, { tenantId, deviceId, count });
}
