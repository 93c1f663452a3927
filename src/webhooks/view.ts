import type { Static } from 'typebox';
import { apiTime } from '../lib/time.js';
import type { AttemptSummary, DeliveryWithType, WebhookRow } from './repo.js';
import type { DeliverySchema, WebhookSchema } from './schemas.js';

export function toApiWebhook(row: WebhookRow): Static<typeof WebhookSchema> {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types_json ? (JSON.parse(row.event_types_json) as string[]) : null,
    device_id: row.device_id,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    failing_since: apiTime(row.failing_since),
    last_success_at: apiTime(row.last_success_at),
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
  };
}

export function toApiDelivery(row: DeliveryWithType, attempts: AttemptSummary[]): Static<typeof DeliverySchema> {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempt_count: row.attempt_count,
    next_attempt_at: row.status === 'pending' ? apiTime(row.next_attempt_at) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    attempts: attempts.map((a) => ({ attempted_at: apiTime(a.attempted_at), status_code: a.status_code, latency_ms: a.latency_ms, error: a.error })),
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
  };
}
