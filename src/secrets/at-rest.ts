import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { isSealed, SecretOpenError, sealedKeyId, type SecretBox } from '../lib/secret-box.js';
import { nowIso } from '../lib/time.js';
import { credsAad, KEY_CHECK_AAD, KEY_CHECK_TEXT, signalKeyAad, webhookSecretAad } from './aad.js';
import * as repo from './repo.js';

/** The configured key(s) cannot open the data: `wuts serve` stops with this one line. */
export class SecretKeyMismatchError extends Error {}

/** A sealed value that no configured key opens although its key is known: changed, or moved from another row. */
export class SealedValueError extends Error {}

export interface SealReport {
  /** Values found in clear (written by an older version) and sealed now. */
  sealed: number;
  /** Values sealed with a previous key and sealed again with the current one. */
  resealed: number;
}

const BATCH = 500;

function mismatch(box: SecretBox, keyId: string | undefined): SecretKeyMismatchError {
  const configured = box.keyIds();
  return new SecretKeyMismatchError(
    `the secret key does not match the data: its secrets were sealed with key ${keyId ?? '(unreadable)'}, ` +
      `the configured key${configured.length > 1 ? 's are' : ' is'} ${configured.join(', ')}; ` +
      'set WUTS_SECRET_KEY to the key that sealed them (after a rotation, the old key goes in WUTS_SECRET_KEY_PREVIOUS)',
  );
}

/**
 * Checks the stored key check against the configured keys (the first start writes it), so a
 * wrong key is refused before anything is read or written with it.
 */
async function checkKey(db: Db, box: SecretBox): Promise<string> {
  let check = await repo.readKeyCheck(db.kysely);
  if (check === undefined) {
    await repo.insertKeyCheck(db.kysely, box.seal(KEY_CHECK_TEXT, KEY_CHECK_AAD), nowIso());
    check = (await repo.readKeyCheck(db.kysely))!;
  }
  const keyId = sealedKeyId(check);
  if (keyId === undefined || !box.knows(keyId)) throw mismatch(box, keyId);
  try {
    if (box.open(check, KEY_CHECK_AAD) !== KEY_CHECK_TEXT) throw mismatch(box, keyId);
  } catch (err) {
    if (err instanceof SecretOpenError) throw mismatch(box, keyId);
    throw err;
  }
  return check;
}

/**
 * The start-up step of `wuts serve`, after the migrations and before the API or a worker runs:
 * refuses a key that does not match the data, seals every value still in clear (a database of
 * an older version), and re-seals with the current key every value sealed with a previous one
 * (a rotation). Only rows not sealed with the current key are read, so an ordinary start reads
 * none. Safe with several nodes starting at once: every update is guarded by the value it read.
 */
export async function sealSecretsAtRest(db: Db, box: SecretBox): Promise<SealReport> {
  const check = await checkKey(db, box);
  const report: SealReport = { sealed: 0, resealed: 0 };

  const upgrade = (value: string, aad: string, where: string): string => {
    if (value.startsWith(box.prefix)) return value;
    if (!isSealed(value)) {
      report.sealed++;
      return box.seal(value, aad);
    }
    const keyId = sealedKeyId(value);
    if (keyId === undefined || !box.knows(keyId)) throw mismatch(box, keyId);
    report.resealed++;
    try {
      return box.reseal(value, aad);
    } catch (err) {
      if (err instanceof SecretOpenError) throw new SealedValueError(`a sealed value in ${where} does not open: ${err.message}`);
      throw err;
    }
  };

  /** Runs batches until none is left; a batch that changes nothing (rows changing under it each time) stops the start. */
  const sweep = async <T>(what: string, read: () => Promise<T[]>, fix: (trx: Kysely<Database>, row: T) => Promise<boolean>) => {
    for (;;) {
      const rows = await read();
      if (rows.length === 0) return;
      const done = await db.kysely.transaction().execute(async (trx) => {
        let n = 0;
        for (const row of rows) if (await fix(trx, row)) n++;
        return n;
      });
      if (done === 0) throw new Error(`sealing the secrets of ${what} made no progress: their rows keep changing`);
    }
  };

  await sweep(
    'webhooks',
    () => repo.webhookSecretsNotSealedWith(db.kysely, box.prefix, BATCH),
    (trx, row) => {
      const where = `webhooks (tenant ${row.tenant_id}, webhook ${row.id})`;
      const secret = upgrade(row.secret, webhookSecretAad(row.tenant_id, row.id, 'secret'), where);
      const previous = row.previous_secret === null ? null : upgrade(row.previous_secret, webhookSecretAad(row.tenant_id, row.id, 'previous_secret'), where);
      return repo.replaceWebhookSecrets(trx, row, { secret, previous_secret: previous });
    },
  );
  await sweep(
    'WhatsApp creds',
    () => repo.credsNotSealedWith(db.kysely, box.prefix, BATCH),
    (trx, row) =>
      repo.replaceCreds(
        trx,
        row,
        upgrade(row.creds_json, credsAad(row.tenant_id, row.device_id), `device_auth_creds (tenant ${row.tenant_id}, device ${row.device_id})`),
      ),
  );
  await sweep(
    'Signal keys',
    () => repo.signalKeysNotSealedWith(db.kysely, box.prefix, BATCH),
    (trx, row) =>
      repo.replaceSignalKey(
        trx,
        row,
        upgrade(
          row.value_json,
          signalKeyAad(row.tenant_id, row.device_id, row.type, row.key_id),
          `device_auth_keys (tenant ${row.tenant_id}, device ${row.device_id}, ${row.type} ${row.key_id})`,
        ),
      ),
  );
  // Last: until every value is sealed with the current key, the check still names the old one,
  // so a start with only the new key is refused while old values remain.
  if (!check.startsWith(box.prefix)) await repo.replaceKeyCheck(db.kysely, check, box.seal(KEY_CHECK_TEXT, KEY_CHECK_AAD), nowIso());
  return report;
}
