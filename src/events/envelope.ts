import { apiTime } from '../lib/time.js';
import type { EventRow } from './repo.js';

export interface EventEnvelopeJson {
  id: string;
  type: string;
  version: number;
  tenant_id: string;
  device_id: string | null;
  timestamp: string;
  data: unknown;
}

/** The JSON an event is delivered as, on webhooks and on the live stream. */
export function toEnvelope(row: EventRow): EventEnvelopeJson {
  return { ...envelopeHead(row), data: JSON.parse(row.data_json) };
}

function envelopeHead(row: EventRow): Omit<EventEnvelopeJson, 'data'> {
  return { id: row.id, type: row.type, version: row.version, tenant_id: row.tenant_id, device_id: row.device_id, timestamp: apiTime(row.created_at) };
}

/**
 * `JSON.stringify(toEnvelope(row))`, with the stored data spliced in as it is rather than parsed
 * and written again (it was written by JSON.stringify, so the text is the same): the webhook
 * dispatcher serializes every delivery.
 */
export function envelopeJson(row: EventRow): string {
  const head = JSON.stringify(envelopeHead(row));
  return `${head.slice(0, -1)},"data":${row.data_json}}`;
}
