import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { columnTypes } from './column-types.js';

/**
 * Received media are downloaded after the message is stored (and WhatsApp told it arrived):
 * a pending media file knows its message and when its next download attempt is due (also
 * the lease of the node downloading it now).
 */
export function mediaDownloadsMigration(dialect: DialectName) {
  const { uuid, ts } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('media_files').addColumn('message_id', uuid).execute();
      await db.schema.alterTable('media_files').addColumn('next_attempt_at', ts).execute();
      await db.schema.createIndex('media_files_due_downloads_idx').on('media_files').columns(['state', 'next_attempt_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('media_files_due_downloads_idx').execute();
      await db.schema.alterTable('media_files').dropColumn('next_attempt_at').execute();
      await db.schema.alterTable('media_files').dropColumn('message_id').execute();
    },
  };
}
