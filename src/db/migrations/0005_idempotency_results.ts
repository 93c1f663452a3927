import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../connect.js';

/**
 * An Idempotency-Key keeps the result of the work it guarded (the accepted message), not an
 * HTTP answer: the route makes the answer, so `status_code` goes and the stored envelopes
 * `{"success": true, "message": {...}}` become the message itself, in `result_json`.
 */
export function idempotencyResultsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const message = dialect === 'postgres' ? sql`(response_json::jsonb -> 'message')::text` : sql`json_extract(response_json, '$.message')`;
      await sql`update idempotency_keys set response_json = ${message} where response_json like '{"success":true,"message":%'`.execute(db);
      await db.schema.alterTable('idempotency_keys').dropColumn('status_code').execute();
      await db.schema.alterTable('idempotency_keys').renameColumn('response_json', 'result_json').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('idempotency_keys').renameColumn('result_json', 'response_json').execute();
      await db.schema
        .alterTable('idempotency_keys')
        .addColumn('status_code', 'integer', (c) => c.notNull().defaultTo(202))
        .execute();
      const envelope =
        dialect === 'postgres'
          ? sql`jsonb_build_object('success', true, 'message', response_json::jsonb)::text`
          : sql`json_object('success', json('true'), 'message', json(response_json))`;
      await sql`update idempotency_keys set response_json = ${envelope}`.execute(db);
    },
  };
}
