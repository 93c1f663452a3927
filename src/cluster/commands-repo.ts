import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { dbNowMs } from '../db/clock.js';

export interface CommandRow {
  id: string;
  origin_node: string;
  kind: string;
  args_json: string;
}

export async function insertCommand(
  db: Kysely<Database>,
  dialect: DialectName,
  command: { id: string; target: string; origin: string; kind: string; argsJson: string; timeoutMs: number },
): Promise<void> {
  await db
    .insertInto('cluster_commands')
    .values({
      id: command.id,
      target_node: command.target,
      origin_node: command.origin,
      kind: command.kind,
      args_json: command.argsJson,
      deadline_ms: sql<number>`${dbNowMs(dialect)} + ${command.timeoutMs}`,
      result_json: null,
    })
    .execute();
}

/** The command, while its deadline has not passed and nobody answered it. */
export async function openCommand(db: Kysely<Database>, dialect: DialectName, id: string): Promise<CommandRow | undefined> {
  return db
    .selectFrom('cluster_commands')
    .select(['id', 'origin_node', 'kind', 'args_json'])
    .where('id', '=', id)
    .where('result_json', 'is', null)
    .where('deadline_ms', '>', dbNowMs(dialect))
    .executeTakeFirst();
}

/** Commands for the node that wait for an answer (a missed notification is found here). */
export async function openCommandIds(db: Kysely<Database>, dialect: DialectName, target: string): Promise<string[]> {
  const rows = await db
    .selectFrom('cluster_commands')
    .select('id')
    .where('target_node', '=', target)
    .where('result_json', 'is', null)
    .where('deadline_ms', '>', dbNowMs(dialect))
    .limit(100)
    .execute();
  return rows.map((r) => r.id);
}

export async function answerCommand(db: Kysely<Database>, id: string, resultJson: string): Promise<void> {
  await db.updateTable('cluster_commands').set({ result_json: resultJson }).where('id', '=', id).where('result_json', 'is', null).execute();
}

export async function commandResult(db: Kysely<Database>, id: string): Promise<string | null> {
  const row = await db.selectFrom('cluster_commands').select('result_json').where('id', '=', id).executeTakeFirst();
  return row?.result_json ?? null;
}

export async function deleteCommand(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('cluster_commands').where('id', '=', id).execute();
}

/** Commands whose origin gave up on them a minute ago or more. */
export async function deleteStaleCommands(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  await db
    .deleteFrom('cluster_commands')
    .where('deadline_ms', '<', sql<number>`${dbNowMs(dialect)} - 60000`)
    .execute();
}

/** A notification to every node listening on `channel` (sent at once: no transaction here). */
export async function notify(db: Kysely<Database>, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}
