import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { filterMatches } from '../events/catalog.js';
import type { EventRow } from '../events/repo.js';
import { newId } from '../lib/ids.js';
import { enabledWebhooks, insertDeliveries } from './repo.js';

/** The key that orders one webhook's deliveries: per device, and tenant-level events together. */
export function orderKey(event: Pick<EventRow, 'device_id' | 'type' | 'id'>): string {
  if (event.type === 'webhook.test') return `test:${event.id}`;
  return event.device_id ?? 'tenant';
}

/** Creates a pending delivery for every enabled webhook of the tenant that wants the event. */
export async function enqueueDeliveries(db: Kysely<Database>, event: EventRow, onlyWebhookId?: string): Promise<void> {
  const hooks = onlyWebhookId
    ? [{ id: onlyWebhookId }]
    : (await enabledWebhooks(db, event.tenant_id)).filter(
        (w) =>
          filterMatches(w.event_types_json ? (JSON.parse(w.event_types_json) as string[]) : null, event.type) &&
          (w.device_id === null || w.device_id === event.device_id),
      );
  await insertDeliveries(
    db,
    event.tenant_id,
    hooks.map((w) => ({
      id: newId(),
      webhook_id: w.id,
      event_id: event.id,
      order_key: orderKey(event),
      status: 'pending' as const,
      attempt_count: 0,
      next_attempt_at: event.created_at,
      lease_until: null,
      last_status_code: null,
      last_error: null,
      created_at: event.created_at,
      updated_at: event.created_at,
    })),
  );
}
