import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import { openDatabase, type Db, type DbOptions } from './connect.js';
import { assertDatabaseReachable } from './reachable.js';
import { tenancyMigration } from './migrations/0001_tenancy.js';
import { eventsWebhooksMigration } from './migrations/0002_events_webhooks.js';
import { devicesMigration } from './migrations/0003_devices.js';
import { messagesMigration } from './migrations/0004_messages.js';
import { idempotencyResultsMigration } from './migrations/0005_idempotency_results.js';
import { secretKeyCheckMigration } from './migrations/0006_secret_key_check.js';
import { sessionEndpointMigration } from './migrations/0007_session_endpoint.js';
import { inboundDeadLettersMigration } from './migrations/0008_inbound_dead_letters.js';
import { mediaMigration } from './migrations/0009_media.js';
import { mediaDownloadsMigration } from './migrations/0010_media_downloads.js';
import { groupMessagesIdentitiesMigration } from './migrations/0012_group_messages_identities.js';
import { deviceRestrictionsMigration } from './migrations/0013_device_restrictions.js';
import { tenantMediaBytesMigration } from './migrations/0014_tenant_media_bytes.js';
import { clusterMigration } from './migrations/0015_cluster.js';

/** Every migration, in order. Names sort; never rename or edit one that has shipped. */
function allMigrations(db: Db): Record<string, Migration> {
  return {
    '0001_tenancy': tenancyMigration(db.dialect),
    '0002_events_webhooks': eventsWebhooksMigration(db.dialect),
    '0003_devices': devicesMigration(db.dialect),
    '0004_messages': messagesMigration(db.dialect),
    '0005_idempotency_results': idempotencyResultsMigration(db.dialect),
    '0006_secret_key_check': secretKeyCheckMigration(db.dialect),
    '0007_session_endpoint': sessionEndpointMigration(),
    '0008_inbound_dead_letters': inboundDeadLettersMigration(db.dialect),
    '0009_media': mediaMigration(db.dialect),
    '0010_media_downloads': mediaDownloadsMigration(db.dialect),
    '0012_group_messages_identities': groupMessagesIdentitiesMigration(db.dialect),
    '0013_device_restrictions': deviceRestrictionsMigration(db.dialect),
    '0014_tenant_media_bytes': tenantMediaBytesMigration(),
    '0015_cluster': clusterMigration(db.dialect),
  };
}

/** Kysely records what ran in `wuts_migrations` (and takes `wuts_migrations_lock` while running). */
function migrator(db: Db): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => allMigrations(db) },
    migrationTableName: 'wuts_migrations',
    migrationLockTableName: 'wuts_migrations_lock',
  });
}

export class MigrationError extends Error {}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = result.error instanceof Error ? result.error.message || result.error.name : String(result.error);
    throw new MigrationError(failed ? `migration ${failed} failed: ${cause}` : `migrating the database failed: ${cause}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Opens the database, checks that it answers (DatabaseUnavailableError names the cause), applies
 * the pending migrations, and closes it again. Without a statement timeout: a migration may
 * rightly take long on a big table.
 */
export async function migrateDatabase(options: DbOptions): Promise<string[]> {
  const db = openDatabase({ ...options, statementTimeoutMs: undefined });
  try {
    await assertDatabaseReachable(db, options);
    return await migrateToLatest(db);
  } finally {
    await db.close();
  }
}

/** Migrates up or down to the named migration (tests of a migration start from the one before it). */
export async function migrateTo(db: Db, name: string): Promise<void> {
  const result = await migrator(db).migrateTo(name);
  if (result.error) throw new MigrationError(`migrating to ${name} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`);
}

/** Names of migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const infos = await migrator(db).getMigrations();
  return infos.filter((m) => !m.executedAt).map((m) => m.name);
}
