// The secret key through the real `wuts serve` (built: npm run build): a database written in clear
// by the previous version is sealed at the first start with the key; a start with a key that does
// not match the data stops with one line; a rotation (new key, old key as previous) re-seals
// every value, after which the old key can go. SQLite, or PostgreSQL with WUTS_TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/tokens.js';
import { migrateTo } from '../../src/db/migrate.js';
import { createDbSessionStore } from '../../src/devices/session-store.js';
import { newId } from '../../src/lib/ids.js';
import { SecretBox, keyIdOf, sealedKeyId } from '../../src/lib/secret-box.js';
import { openWebhookSecrets } from '../../src/webhooks/secrets.js';
import { runCli, startServer } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const token = 'wuts_tok_' + randomBytes(24).toString('base64url');
const plain = {
  secret: 'whsec_' + randomBytes(32).toString('base64'),
  previous: 'whsec_' + randomBytes(32).toString('base64'),
  noisePrivate: randomBytes(32).toString('base64'),
  preKeyPrivate: randomBytes(32).toString('base64'),
};
const credsJson = JSON.stringify({ noiseKey: { private: { type: 'Buffer', data: plain.noisePrivate } }, registrationId: 7 });
const preKeyJson = JSON.stringify({ private: { type: 'Buffer', data: plain.preKeyPrivate } });
const ids = { tenant: newId(), user: newId(), device: newId(), webhook: newId() };

const env = (secretKey: Buffer, previous: Buffer[] = []) => ({
  WUTS_DATA_DIR: database.dataDir,
  DATABASE_URL: database.databaseUrl,
  WUTS_MASTER_TOKEN: 'master-' + 'x'.repeat(40),
  WUTS_SECRET_KEY: secretKey.toString('hex'),
  ...(previous.length ? { WUTS_SECRET_KEY_PREVIOUS: previous.map((k) => k.toString('base64')).join(',') } : {}),
});

/** The sealed values as stored, read straight from the tables. */
async function storedValues(): Promise<string[]> {
  const db = database.db.kysely;
  const hooks = (await sql<{ secret: string; previous_secret: string }>`select secret, previous_secret from webhooks`.execute(db)).rows;
  const creds = (await sql<{ creds_json: string }>`select creds_json from device_auth_creds`.execute(db)).rows;
  const keys = (await sql<{ value_json: string }>`select value_json from device_auth_keys`.execute(db)).rows;
  const check = (await sql<{ sealed_value: string }>`select sealed_value from secret_key_check`.execute(db)).rows;
  return [
    ...hooks.flatMap((h) => [h.secret, h.previous_secret]),
    ...creds.map((c) => c.creds_json),
    ...keys.map((k) => k.value_json),
    ...check.map((c) => c.sealed_value),
  ];
}

async function expectRefused(secretKey: Buffer, previous: Buffer[] = []): Promise<void> {
  const res = await runCli(['serve'], { ...env(secretKey, previous), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
  expect(res.code, res.stderr).toBe(1);
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^wuts: the secret key does not match the data: its secrets were sealed with key [0-9a-f]{8}, the configured key/);
  expect(res.stderr).not.toMatch(/at .*\.js:\d+/);
}

beforeAll(async () => {
  // The schema of the previous version, and rows as it wrote them: every secret in clear.
  database = await createTestDatabase({ migrate: false });
  await migrateTo(database.db, '0005_idempotency_results');
  const k = database.db.kysely;
  const now = new Date().toISOString();
  await k
    .insertInto('tenants')
    .values({
      id: ids.tenant,
      name: 'Old Co',
      name_key: 'old co',
      active: true,
      staged_webhook_url: null,
      staged_webhook_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await k
    .insertInto('users')
    .values({
      id: ids.user,
      tenant_id: ids.tenant,
      email: 'old@example.test',
      password_hash: 'unused',
      role: 'admin',
      active: true,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await k
    .insertInto('api_tokens')
    .values({
      id: newId(),
      tenant_id: ids.tenant,
      user_id: ids.user,
      kind: 'api',
      name: 'old',
      token_hash: hashToken(token),
      last4: token.slice(-4),
      created_at: now,
      last_used_at: null,
      expires_at: null,
    })
    .execute();
  await k
    .insertInto('devices')
    .values({ id: ids.device, tenant_id: ids.tenant, name: 'old phone', status: 'disconnected', created_at: now, updated_at: now })
    .execute();
  await k
    .insertInto('webhooks')
    .values({
      id: ids.webhook,
      tenant_id: ids.tenant,
      url: 'https://hooks.example.com/wuts',
      description: null,
      event_types_json: null,
      device_id: null,
      enabled: true,
      disabled_reason: null,
      secret: plain.secret,
      previous_secret: plain.previous,
      previous_secret_expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      failing_since: null,
      last_success_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await k.insertInto('device_auth_creds').values({ device_id: ids.device, tenant_id: ids.tenant, creds_json: credsJson, updated_at: now }).execute();
  await k
    .insertInto('device_auth_keys')
    .values({ device_id: ids.device, tenant_id: ids.tenant, type: 'pre-key', key_id: '1', value_json: preKeyJson })
    .execute();
});

afterAll(async () => {
  await database?.drop();
});

describe('wuts serve and the secret key', () => {
  it('seals a database written in clear at its first start with the key, and serves it', async () => {
    const before = await sql<{ secret: string }>`select secret from webhooks`.execute(database.db.kysely);
    expect(before.rows).toEqual([{ secret: plain.secret }]); // the old state, in clear
    const server = await startServer(env(keyA));
    try {
      expect(server.output()).toContain(`Secret key (id ${keyIdOf(keyA)}): taken from WUTS_SECRET_KEY`);
      expect(server.output()).not.toContain(keyA.toString('hex'));
      const stored = await storedValues();
      expect(stored).toHaveLength(2 + 1 + 1 + 1);
      for (const v of stored) expect(sealedKeyId(v), v).toBe(keyIdOf(keyA));
      const dump = stored.join('\n');
      for (const secret of Object.values(plain)) expect(dump).not.toContain(secret);
      // The API shows the webhook's secrets as they were.
      const res = await fetch(`${server.baseUrl}/webhooks/${ids.webhook}/secret`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ secret: plain.secret, previous_secret: plain.previous });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const box = new SecretBox(keyA);
    expect(await createDbSessionStore(database.db, box, ids.tenant, ids.device).readCreds()).toBe(credsJson);
    expect((await createDbSessionStore(database.db, box, ids.tenant, ids.device).readKeys('pre-key', ['1'])).get('1')).toBe(preKeyJson);
  });

  it('stops with one line when the key does not match the data', async () => {
    await expectRefused(keyB);
    // Nothing was changed by the refused start.
    for (const v of await storedValues()) expect(sealedKeyId(v)).toBe(keyIdOf(keyA));
  });

  it('rotates: B with A as previous re-seals every value; then B alone serves, and A alone is refused', async () => {
    const rotating = await startServer(env(keyB, [keyA]));
    try {
      expect(rotating.output()).toContain(`Secret key (id ${keyIdOf(keyB)}): taken from WUTS_SECRET_KEY`);
      for (const v of await storedValues()) expect(sealedKeyId(v), v).toBe(keyIdOf(keyB));
    } finally {
      expect(await rotating.stop()).toBe(0);
    }

    const onlyB = await startServer(env(keyB));
    try {
      const res = await fetch(`${onlyB.baseUrl}/webhooks/${ids.webhook}/secret`, { headers: { authorization: `Bearer ${token}` } });
      expect(await res.json()).toMatchObject({ secret: plain.secret, previous_secret: plain.previous });
    } finally {
      expect(await onlyB.stop()).toBe(0);
    }
    const rows = await database.db.kysely.selectFrom('webhooks').selectAll().execute();
    expect(openWebhookSecrets(new SecretBox(keyB), rows[0]!)).toEqual({ secret: plain.secret, previousSecret: plain.previous });
    expect(await createDbSessionStore(database.db, new SecretBox(keyB), ids.tenant, ids.device).readCreds()).toBe(credsJson);

    await expectRefused(keyA);
  });

  it('on a fresh database the first key is recorded: another key is refused even with no secret stored yet', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const freshEnv = (key: Buffer) => ({ WUTS_DATA_DIR: fresh.dataDir, DATABASE_URL: fresh.databaseUrl, WUTS_SECRET_KEY: key.toString('base64') });
      const first = await startServer(freshEnv(keyA));
      expect(await first.stop()).toBe(0);
      const res = await runCli(['serve'], { ...freshEnv(keyB), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(
        `wuts: the secret key does not match the data: its secrets were sealed with key ${keyIdOf(keyA)}, the configured key is ${keyIdOf(keyB)}; ` +
          'set WUTS_SECRET_KEY to the key that sealed them (after a rotation, the old key goes in WUTS_SECRET_KEY_PREVIOUS)',
      );
    } finally {
      await fresh.drop();
    }
  });
});
