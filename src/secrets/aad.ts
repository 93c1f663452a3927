import { secretAad } from '../lib/secret-box.js';

/**
 * The additional authenticated data of every sealed column: the table and column, and the ids of
 * the row, so a sealed value moved to another row (tenant, device, webhook, key) does not open.
 */

export type WebhookSecretColumn = 'secret' | 'previous_secret';

export const webhookSecretAad = (tenantId: string, webhookId: string, column: WebhookSecretColumn): string =>
  secretAad(`webhooks.${column}`, tenantId, webhookId);

export const credsAad = (tenantId: string, deviceId: string): string => secretAad('device_auth_creds.creds_json', tenantId, deviceId);

export const signalKeyAad = (tenantId: string, deviceId: string, type: string, keyId: string): string =>
  secretAad('device_auth_keys.value_json', tenantId, deviceId, type, keyId);

export const KEY_CHECK_AAD = secretAad('secret_key_check.sealed_value', 'current');
/** What the key check holds in clear: nothing secret, only proof that the key opens it. */
export const KEY_CHECK_TEXT = 'wuts secret key check';
