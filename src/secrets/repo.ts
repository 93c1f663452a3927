import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The platform's own queries over every sealed column, across tenants (the start-up step that
 * seals values stored in clear and re-seals those of a previous key). A row is picked when its
 * value does not start with `prefix`, the current key's; each update is guarded by the value read,
 * so a row another node changed meanwhile is left to the next round.
 */

/** The key check's one row. */
const KEY_CHECK_ID = 'current';

const notSealedWith = (column: string, prefix: string) => sql<boolean>`substr(${sql.ref(column)}, 1, ${prefix.length}) <> ${prefix}`;

export async function readKeyCheck(db: Kysely<Database>): Promise<string | undefined> {
  const row = await db.selectFrom('secret_key_check').select('sealed_value').where('id', '=', KEY_CHECK_ID).executeTakeFirst();
  return row?.sealed_value;
}

/** Writes the key check unless one exists (another node may have written it first). */
export async function insertKeyCheck(db: Kysely<Database>, sealed: string, now: string): Promise<void> {
  await db
    .insertInto('secret_key_check')
    .values({ id: KEY_CHECK_ID, sealed_value: sealed, updated_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function replaceKeyCheck(db: Kysely<Database>, before: string, sealed: string, now: string): Promise<void> {
  await db
    .updateTable('secret_key_check')
    .set({ sealed_value: sealed, updated_at: now })
    .where('id', '=', KEY_CHECK_ID)
    .where('sealed_value', '=', before)
    .execute();
}

export interface WebhookSecrets {
  tenant_id: string;
  id: string;
  secret: string;
  previous_secret: string | null;
}

export async function webhookSecretsNotSealedWith(db: Kysely<Database>, prefix: string, limit: number): Promise<WebhookSecrets[]> {
  return db
    .selectFrom('webhooks')
    .select(['tenant_id', 'id', 'secret', 'previous_secret'])
    .where((eb) => eb.or([notSealedWith('secret', prefix), eb.and([eb('previous_secret', 'is not', null), notSealedWith('previous_secret', prefix)])]))
    .limit(limit)
    .execute();
}

export async function replaceWebhookSecrets(
  db: Kysely<Database>,
  before: WebhookSecrets,
  after: Pick<WebhookSecrets, 'secret' | 'previous_secret'>,
): Promise<boolean> {
  let q = db.updateTable('webhooks').set(after).where('tenant_id', '=', before.tenant_id).where('id', '=', before.id).where('secret', '=', before.secret);
  q = before.previous_secret === null ? q.where('previous_secret', 'is', null) : q.where('previous_secret', '=', before.previous_secret);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface CredsValue {
  tenant_id: string;
  device_id: string;
  creds_json: string;
}

export async function credsNotSealedWith(db: Kysely<Database>, prefix: string, limit: number): Promise<CredsValue[]> {
  return db.selectFrom('device_auth_creds').select(['tenant_id', 'device_id', 'creds_json']).where(notSealedWith('creds_json', prefix)).limit(limit).execute();
}

export async function replaceCreds(db: Kysely<Database>, before: CredsValue, sealed: string): Promise<boolean> {
  const res = await db
    .updateTable('device_auth_creds')
    .set({ creds_json: sealed })
    .where('tenant_id', '=', before.tenant_id)
    .where('device_id', '=', before.device_id)
    .where('creds_json', '=', before.creds_json)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface KeyValue {
  tenant_id: string;
  device_id: string;
  type: string;
  key_id: string;
  value_json: string;
}

export async function signalKeysNotSealedWith(db: Kysely<Database>, prefix: string, limit: number): Promise<KeyValue[]> {
  return db
    .selectFrom('device_auth_keys')
    .select(['tenant_id', 'device_id', 'type', 'key_id', 'value_json'])
    .where(notSealedWith('value_json', prefix))
    .limit(limit)
    .execute();
}

export async function replaceSignalKey(db: Kysely<Database>, before: KeyValue, sealed: string): Promise<boolean> {
  const res = await db
    .updateTable('device_auth_keys')
    .set({ value_json: sealed })
    .where('tenant_id', '=', before.tenant_id)
    .where('device_id', '=', before.device_id)
    .where('type', '=', before.type)
    .where('key_id', '=', before.key_id)
    .where('value_json', '=', before.value_json)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
