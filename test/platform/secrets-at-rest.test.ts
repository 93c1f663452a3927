// Secrets at rest: webhook secrets and WhatsApp sessions (Baileys creds and Signal keys) are stored
// sealed with the operator's secret key, bound to their row. These tests read the rows straight from
// the database (SQLite, or PostgreSQL with WUTS_TEST_DATABASE_URL), as a dump would show them.
import { randomBytes } from 'node:crypto';
import { BufferJSON, initAuthCreds } from '@whiskeysockets/baileys';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbSessionStore } from '../../src/devices/session-store.js';
import { SecretBox, SecretOpenError, keyIdOf, sealedKeyId } from '../../src/lib/secret-box.js';
import { SealedValueError, SecretKeyMismatchError, sealSecretsAtRest } from '../../src/secrets/at-rest.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';
import { TestClock, createDevice, createWebhook, makeDispatcher } from '../webhooks/dispatch-helpers.js';

let t: TestApp;
let tenant: TenantFixture;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await createTestApp({ allowPrivateWebhooks: true });
  tenant = await createTenant(t);
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

/** Every row of the tables that hold secrets, as the database returns them. */
async function rawRows(): Promise<Record<string, Record<string, unknown>[]>> {
  const k = t.deps.db.kysely;
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of ['webhooks', 'device_auth_creds', 'device_auth_keys', 'secret_key_check']) {
    out[table] = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(k)).rows;
  }
  return out;
}

/** The sealed values of every row: webhook secrets, creds, Signal keys. */
function sealedValues(rows: Record<string, Record<string, unknown>[]>): string[] {
  return [
    ...rows.webhooks!.flatMap((r) => [r.secret, r.previous_secret]),
    ...rows.device_auth_creds!.map((r) => r.creds_json),
    ...rows.device_auth_keys!.map((r) => r.value_json),
    ...rows.secret_key_check!.map((r) => r.sealed_value),
  ].filter((v): v is string => typeof v === 'string');
}

/** A real Baileys creds JSON and Signal key values, as the provider hands them to the store, and the key material in them. */
function baileysSession() {
  const creds = initAuthCreds();
  const preKey = { private: randomBytes(32), public: randomBytes(32) };
  const session = { _sessions: { peer: { registrationId: 42, rootKey: randomBytes(32).toString('base64') } } };
  const material = [
    Buffer.from(creds.noiseKey.private).toString('base64'),
    Buffer.from(creds.signedIdentityKey.private).toString('base64'),
    Buffer.from(creds.signedPreKey.keyPair.private).toString('base64'),
    creds.advSecretKey,
    preKey.private.toString('base64'),
    session._sessions.peer.rootKey,
  ];
  return {
    credsJson: JSON.stringify(creds, BufferJSON.replacer),
    keys: [
      { type: 'pre-key', id: '1', value: JSON.stringify(preKey, BufferJSON.replacer) },
      { type: 'session', id: 'peer.0', value: JSON.stringify(session) },
    ],
    material,
  };
}

describe('secrets at rest', () => {
  it('the raw rows hold neither a webhook secret nor any WhatsApp key material in clear', async () => {
    await sealSecretsAtRest(t.deps.db, t.deps.secrets); // as wuts serve does at start
    const hook = await createWebhook(t, tenant, { url: receiver.url });
    const rotated = (await t.call('POST', `/webhooks/${hook.id}/rotate-secret`, tenant.adminToken)).json();
    expect(rotated.previous_secret).toBe(hook.secret);
    const deviceId = await createDevice(t, tenant);
    const session = baileysSession();
    const store = createDbSessionStore(t.deps.db, t.deps.secrets, tenant.tenantId, deviceId);
    await store.writeCreds(session.credsJson);
    await store.writeKeys(session.keys);

    const rows = await rawRows();
    const dump = JSON.stringify(rows);
    for (const secret of [hook.secret, rotated.secret, ...session.material]) expect(dump).not.toContain(secret);
    for (const word of ['whsec_', 'noiseKey', 'signedIdentityKey', '"Buffer"', '_sessions']) expect(dump).not.toContain(word);
    const values = sealedValues(rows);
    expect(values.length).toBe(2 + 1 + 2 + 1);
    for (const v of values) expect(v.startsWith(`wuts:v1:${t.deps.secrets.keyId}:`), v).toBe(true);

    // Through the app, everything reads back in clear.
    expect((await t.call('GET', `/webhooks/${hook.id}/secret`, tenant.adminToken)).json()).toMatchObject({
      secret: rotated.secret,
      previous_secret: hook.secret,
    });
    expect(await store.readCreds()).toBe(session.credsJson);
    const keys = await store.readKeys('pre-key', ['1', '2']);
    expect([...keys]).toEqual([['1', session.keys[0]!.value]]);
  });

  it('a sealed value copied into another row does not open there', async () => {
    const a = await createDevice(t, tenant);
    const b = await createDevice(t, tenant);
    const storeA = createDbSessionStore(t.deps.db, t.deps.secrets, tenant.tenantId, a);
    const storeB = createDbSessionStore(t.deps.db, t.deps.secrets, tenant.tenantId, b);
    await storeA.writeCreds('{"me":"a"}');
    await storeB.writeCreds('{"me":"b"}');
    await storeA.writeKeys([
      { type: 'pre-key', id: '1', value: '"one"' },
      { type: 'pre-key', id: '2', value: '"two"' },
    ]);
    const k = t.deps.db.kysely;
    const credsOfA = (await k.selectFrom('device_auth_creds').select('creds_json').where('device_id', '=', a).executeTakeFirstOrThrow()).creds_json;
    await k.updateTable('device_auth_creds').set({ creds_json: credsOfA }).where('device_id', '=', b).execute();
    await expect(storeB.readCreds()).rejects.toThrow(SecretOpenError);
    expect(await storeA.readCreds()).toBe('{"me":"a"}');

    const one = (await k.selectFrom('device_auth_keys').select('value_json').where('device_id', '=', a).where('key_id', '=', '1').executeTakeFirstOrThrow())
      .value_json;
    await k.updateTable('device_auth_keys').set({ value_json: one }).where('device_id', '=', a).where('key_id', '=', '2').execute();
    await expect(storeA.readKeys('pre-key', ['2'])).rejects.toThrow(SecretOpenError);
    await storeA.clear();
    await storeB.clear();
  });
});

describe('a database written in clear by an older version', () => {
  const plainSecret = 'whsec_' + randomBytes(32).toString('base64');
  const plainPrevious = 'whsec_' + randomBytes(32).toString('base64');
  const session = baileysSession();
  let hookId: string;
  let deviceId: string;
  let other: TenantFixture;

  beforeAll(async () => {
    other = await createTenant(t);
    // Written as the old code wrote them: the values in clear.
    const hook = await createWebhook(t, other, { url: receiver.url });
    hookId = hook.id;
    const k = t.deps.db.kysely;
    await k
      .updateTable('webhooks')
      .set({ secret: plainSecret, previous_secret: plainPrevious, previous_secret_expires_at: new Date(Date.now() + 86_400_000).toISOString() })
      .where('id', '=', hookId)
      .execute();
    deviceId = await createDevice(t, other);
    await k
      .insertInto('device_auth_creds')
      .values({ device_id: deviceId, tenant_id: other.tenantId, creds_json: session.credsJson, updated_at: new Date().toISOString() })
      .execute();
    // More keys than one batch of the start-up step.
    const many = Array.from({ length: 1200 }, (_, i) => ({
      type: 'pre-key',
      id: String(i + 10),
      value: JSON.stringify({ private: randomBytes(32).toString('base64') }),
    }));
    for (const chunk of [session.keys, many.slice(0, 600), many.slice(600)]) {
      await k
        .insertInto('device_auth_keys')
        .values(chunk.map((e) => ({ device_id: deviceId, tenant_id: other.tenantId, type: e.type, key_id: e.id, value_json: e.value })))
        .execute();
    }
  });

  it('is sealed by the start-up step, and the app still works with it', async () => {
    const before = JSON.stringify(await rawRows());
    expect(before).toContain(plainSecret); // the old state, as the test wrote it
    expect(before).toContain(session.material[0]);

    const report = await sealSecretsAtRest(t.deps.db, t.deps.secrets);
    expect(report).toEqual({ sealed: 2 + 1 + 2 + 1200, resealed: 0 });
    const rows = await rawRows();
    const dump = JSON.stringify(rows);
    for (const secret of [plainSecret, plainPrevious, ...session.material]) expect(dump).not.toContain(secret);
    for (const v of sealedValues(rows)) expect(sealedKeyId(v), v).toBe(t.deps.secrets.keyId);
    expect(await sealSecretsAtRest(t.deps.db, t.deps.secrets)).toEqual({ sealed: 0, resealed: 0 });

    // The API shows the same secrets, deliveries are signed with them, the session reads back.
    const shown = (await t.call('GET', `/webhooks/${hookId}/secret`, other.adminToken)).json();
    expect(shown).toMatchObject({ secret: plainSecret, previous_secret: plainPrevious });
    const clock = new TestClock();
    const d = makeDispatcher(t, clock);
    try {
      receiver.setSecrets(plainSecret, plainPrevious);
      const test = await t.call('POST', `/webhooks/${hookId}/test`, other.adminToken);
      expect(test.statusCode).toBe(202);
      await d.dispatcher.drain();
      const got = receiver.requests.filter((r) => r.payload?.id === test.json().event_id);
      expect(got).toHaveLength(1);
      expect(got[0]!.verifiedWith.sort()).toEqual([plainSecret, plainPrevious].sort());
    } finally {
      await d.close();
    }
    const store = createDbSessionStore(t.deps.db, t.deps.secrets, other.tenantId, deviceId);
    expect(await store.readCreds()).toBe(session.credsJson);
    expect((await store.readKeys('session', ['peer.0'])).get('peer.0')).toBe(session.keys[1]!.value);
    expect((await store.readKeys('pre-key', ['10', '1209'])).size).toBe(2);
  });

  it('rotates: key B with A as previous re-seals everything; then B alone works and A alone is refused', async () => {
    const keyA = t.database.secretKey;
    const keyB = randomBytes(32);
    const total = sealedValues(await rawRows()).length;

    const report = await sealSecretsAtRest(t.deps.db, new SecretBox(keyB, [keyA]));
    expect(report).toEqual({ sealed: 0, resealed: total - 1 }); // every value but the key check, rewritten apart
    const rows = await rawRows();
    for (const v of sealedValues(rows)) expect(sealedKeyId(v), v).toBe(keyIdOf(keyB));
    expect(sealedValues(rows)).toHaveLength(total);

    expect(await sealSecretsAtRest(t.deps.db, new SecretBox(keyB))).toEqual({ sealed: 0, resealed: 0 });
    await expect(sealSecretsAtRest(t.deps.db, new SecretBox(keyA))).rejects.toThrow(SecretKeyMismatchError);
    await expect(sealSecretsAtRest(t.deps.db, new SecretBox(keyA))).rejects.toThrow(
      `the secret key does not match the data: its secrets were sealed with key ${keyIdOf(keyB)}, the configured key is ${keyIdOf(keyA)}`,
    );

    // The data reads with B only.
    const store = createDbSessionStore(t.deps.db, new SecretBox(keyB), other.tenantId, deviceId);
    expect(await store.readCreds()).toBe(session.credsJson);
    await expect(createDbSessionStore(t.deps.db, t.deps.secrets, other.tenantId, deviceId).readCreds()).rejects.toThrow(SecretOpenError);

    // Back to A for the rest of the file.
    await sealSecretsAtRest(t.deps.db, new SecretBox(keyA, [keyB]));
    expect(await createDbSessionStore(t.deps.db, t.deps.secrets, other.tenantId, deviceId).readCreds()).toBe(session.credsJson);
  });

  it('refuses a row sealed with an unknown key, and a sealed row that was changed', async () => {
    const k = t.deps.db.kysely;
    const stranger = new SecretBox(randomBytes(32));
    const row = await k.selectFrom('device_auth_creds').selectAll().where('device_id', '=', deviceId).executeTakeFirstOrThrow();
    await k
      .updateTable('device_auth_creds')
      .set({ creds_json: stranger.seal('{}', 'x') })
      .where('device_id', '=', deviceId)
      .execute();
    await expect(sealSecretsAtRest(t.deps.db, t.deps.secrets)).rejects.toThrow(`its secrets were sealed with key ${stranger.keyId}`);

    // A previous-key value that does not open (changed) names its row.
    const keyB = randomBytes(32);
    const sealedWithA = row.creds_json;
    const changed = sealedWithA.slice(0, -6) + (sealedWithA.at(-6) === 'A' ? 'B' : 'A') + sealedWithA.slice(-5);
    await k.updateTable('device_auth_creds').set({ creds_json: changed }).where('device_id', '=', deviceId).execute();
    await expect(sealSecretsAtRest(t.deps.db, new SecretBox(keyB, [t.database.secretKey]))).rejects.toThrow(SealedValueError);
    await expect(sealSecretsAtRest(t.deps.db, new SecretBox(keyB, [t.database.secretKey]))).rejects.toThrow(
      `a sealed value in device_auth_creds (tenant ${other.tenantId}, device ${deviceId}) does not open`,
    );
    // The failed start had re-sealed the webhooks with B already: starting again with both keys finishes the job.
    await k.updateTable('device_auth_creds').set({ creds_json: sealedWithA }).where('device_id', '=', deviceId).execute();
    await expect(sealSecretsAtRest(t.deps.db, t.deps.secrets)).rejects.toThrow(SecretKeyMismatchError);
    expect((await sealSecretsAtRest(t.deps.db, new SecretBox(t.database.secretKey, [keyB]))).resealed).toBeGreaterThan(0);
    expect(await sealSecretsAtRest(t.deps.db, t.deps.secrets)).toEqual({ sealed: 0, resealed: 0 });
  });
});
