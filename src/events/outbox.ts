import type { Kysely, Transaction } from 'kysely';
import type { Deps } from '../deps.js';
import type { Database } from '../db/schema.js';
import { newId } from '../lib/ids.js';
import { nowIso } from '../lib/time.js';
import { enqueueDeliveries } from '../webhooks/fanout.js';
import { eventVersion } from './catalog.js';
import { insertEvent, type EventRow } from './repo.js';

export interface NewEvent {
  tenantId: string;
  deviceId?: string | null;
  type: string;
  data: object;
  /** Deliver to this webhook only, whatever its filters (webhook.test). */
  onlyWebhookId?: string;
}

export type Emit = (event: NewEvent) => Promise<EventRow>;

/**
 * Writes an event and its webhook deliveries in the caller's transaction: the event exists if
 * and only if the change that caused it was committed.
 */
export async function emitEvent(db: Kysely<Database>, event: NewEvent): Promise<EventRow> {
  const row: EventRow = {
    id: newId(),
    tenant_id: event.tenantId,
    device_id: event.deviceId ?? null,
    type: event.type,
    version: eventVersion(event.type),
    data_json: JSON.stringify(event.data),
    created_at: nowIso(),
  };
  await insertEvent(db, event.tenantId, row);
  await enqueueDeliveries(db, row, event.onlyWebhookId);
  return row;
}

/** Runs `work` in a transaction that may emit events; after the commit, wakes the workers. */
export async function withOutbox<T>(deps: Deps, work: (trx: Transaction<Database>, emit: Emit) => Promise<T>): Promise<T> {
  let emitted = 0;
  const result = await deps.db.kysely.transaction().execute((trx) =>
    work(trx, async (event) => {
      emitted++;
      return emitEvent(trx, event);
    }),
  );
  if (emitted > 0) deps.bus.notify();
  return result;
}
