import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../lib/secret-box.js';
import { nowIso } from '../lib/time.js';
import { findTenant, lockTenant, updateTenant } from '../tenants/repo.js';
import { insertWebhook } from '../webhooks/repo.js';
import { newWebhookRow } from '../webhooks/service.js';

export const STAGED_WEBHOOK_DESCRIPTION = 'staged at registration; activated when the first device connected';

/**
 * The seed's promise: the webhook URL given at /register becomes a subscription to every event
 * of the tenant when its first device connects, exactly once (the tenant row is locked, and
 * `staged_webhook_id` records that it happened). Runs in the transaction that marks the device
 * connected, before its `device.connected` event is written, so that event is delivered to it.
 */
export async function activateStagedWebhook(trx: Kysely<Database>, dialect: DialectName, secrets: SecretBox, tenantId: string): Promise<string | null> {
  await lockTenant(trx, dialect, tenantId);
  const tenant = await findTenant(trx, tenantId);
  if (!tenant?.staged_webhook_url || tenant.staged_webhook_id) return null;
  const row = newWebhookRow(secrets, tenantId, {
    url: tenant.staged_webhook_url,
    description: STAGED_WEBHOOK_DESCRIPTION,
    eventTypesJson: null,
    deviceId: null,
    enabled: true,
  });
  await insertWebhook(trx, tenantId, row);
  await updateTenant(trx, tenantId, { staged_webhook_id: row.id, staged_webhook_url: null, updated_at: nowIso() });
  return row.id;
}
