import type { SecretBox } from '../lib/secret-box.js';
import { webhookSecretAad, type WebhookSecretColumn } from '../secrets/aad.js';
import type { WebhookRow } from './repo.js';

/** A webhook secret as stored: sealed with the secret key, bound to its tenant, webhook and column. */
export function sealWebhookSecret(secrets: SecretBox, tenantId: string, webhookId: string, column: WebhookSecretColumn, plain: string): string {
  return secrets.seal(plain, webhookSecretAad(tenantId, webhookId, column));
}

/** The row's secrets in clear (SecretOpenError when one does not open). */
export function openWebhookSecrets(
  secrets: SecretBox,
  row: Pick<WebhookRow, 'tenant_id' | 'id' | 'secret' | 'previous_secret'>,
): { secret: string; previousSecret: string | null } {
  return {
    secret: secrets.open(row.secret, webhookSecretAad(row.tenant_id, row.id, 'secret')),
    previousSecret: row.previous_secret === null ? null : secrets.open(row.previous_secret, webhookSecretAad(row.tenant_id, row.id, 'previous_secret')),
  };
}
