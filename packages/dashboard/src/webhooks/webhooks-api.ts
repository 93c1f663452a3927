import { api, query } from '../api/client';
import type { ListPage } from '../common/use-paged-list';

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  /** null: every event of the tenant. */
  event_types: string[] | null;
  device_id: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  last_success_at: string | null;
  created_at: string;
  updated_at: string;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

export interface Delivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  attempts: { attempted_at: string; status_code: number | null; latency_ms: number; error: string | null }[];
  created_at: string;
  updated_at: string;
}

export interface WebhookSecret {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
}

export interface WebhookInput {
  url: string;
  description: string | null;
  event_types: string[] | null;
  device_id: string | null;
}

export const listWebhooks = (cursor?: string): Promise<ListPage<Webhook>> =>
  api<{ webhooks: Webhook[]; next_cursor: string | null }>('GET', `/webhooks${query({ limit: 100, cursor })}`).then((a) => ({
    items: a.webhooks,
    next: a.next_cursor,
  }));

export const createWebhook = (input: WebhookInput) =>
  api<{ webhook: Webhook }>('POST', '/webhooks', { ...input, description: input.description ?? undefined }).then((a) => a.webhook);
export const updateWebhook = (id: string, change: Partial<WebhookInput> & { enabled?: boolean }) =>
  api<{ webhook: Webhook }>('PUT', `/webhooks/${id}`, change).then((a) => a.webhook);
export const getWebhook = (id: string) => api<{ webhook: Webhook }>('GET', `/webhooks/${id}`).then((a) => a.webhook);
export const deleteWebhook = (id: string) => api('DELETE', `/webhooks/${id}`);
export const getSecret = (id: string) => api<WebhookSecret>('GET', `/webhooks/${id}/secret`);
export const rotateSecret = (id: string) => api<WebhookSecret>('POST', `/webhooks/${id}/rotate-secret`);
export const sendTest = (id: string) => api<{ event_id: string; delivery_id: string }>('POST', `/webhooks/${id}/test`);

export const listDeliveries = (id: string, status: DeliveryStatus | undefined, cursor?: string): Promise<ListPage<Delivery>> =>
  api<{ deliveries: Delivery[]; next_cursor: string | null }>('GET', `/webhooks/${id}/deliveries${query({ limit: 20, cursor, status })}`).then((a) => ({
    items: a.deliveries,
    next: a.next_cursor,
  }));

export const retryDelivery = (id: string) => api<{ delivery: Delivery }>('POST', `/deliveries/${id}/retry`).then((a) => a.delivery);
