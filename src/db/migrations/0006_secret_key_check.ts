import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * Secrets at rest (webhook secrets, WhatsApp sessions) are sealed with the operator's key
 * (WUTS_SECRET_KEY). This table holds one known value sealed with that key, so a start with
 * another key is refused even before any secret is stored. The rows themselves are sealed by
 * the start-up step of `wuts serve` (src/secrets/at-rest.ts), not here: a migration never
 * sees the key.
 */
export function secretKeyCheckMigration(dialect: DialectName) {
  const { ts } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('secret_key_check')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sealed_value', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('secret_key_check').execute();
    },
  };
}
