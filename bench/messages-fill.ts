// Rows of the `messages` table for bench/messages.ts, written in bulk: batched multi-row
// INSERTs in transactions on a second SQLite connection (better-sqlite3, WAL), or
// `INSERT ... SELECT FROM unnest($1, $2, ...)` of 5,000 rows a statement on PostgreSQL.
// Ids come from newId() with increasing timestamps, so they increase as WUTS's own do.
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { sqliteFilePath } from '../src/db/connect.js';
import type { Database, MessagesTable } from '../src/db/schema.js';
import { newId } from '../src/lib/ids.js';
import type { Kind } from './messages-common.js';

// the identity columns of migration 0012 stay null in a filled chat
type Row = Omit<MessagesTable, 'attempts' | 'sender_lid' | 'chat_lid' | 'recipient_count'> & { attempts: number };

/** Every column a filled row has, with its PostgreSQL type (for unnest). */
const PG_TYPES: Record<keyof Row, string> = {
  id: 'uuid',
  tenant_id: 'uuid',
  device_id: 'uuid',
  chat_jid: 'text',
  wa_id: 'text',
  from_me: 'boolean',
  sender_jid: 'text',
  type: 'text',
  content_json: 'text',
  quoted_wa_id: 'text',
  quoted_message_id: 'uuid',
  target_wa_id: 'text',
  target_message_id: 'uuid',
  status: 'text',
  reason: 'text',
  attempts: 'integer',
  next_attempt_at: 'timestamptz',
  expires_at: 'timestamptz',
  created_by: 'uuid',
  wa_timestamp: 'timestamptz',
  edited_at: 'timestamptz',
  deleted_at: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};
const COLUMNS = Object.keys(PG_TYPES) as (keyof Row)[];

/** A small deterministic PRNG (mulberry32), so that every run stores the same mix. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 16 hex digits from the PRNG (crypto's randomBytes costs ~10 µs a call, too slow for a million rows). */
const hex16 = (rand: () => number) =>
  Math.floor(rand() * 2 ** 32)
    .toString(16)
    .padStart(8, '0') +
  Math.floor(rand() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');

const WORDS = ['hello', 'order', 'tomorrow', 'thanks', 'delivery', 'price', 'ok', 'see you', 'invoice', 'photo', 'address', 'when', 'great', 'call me'];

export interface RowSpec {
  tenantId: string;
  deviceId: string;
  chatJid: string;
  /** milliseconds since the epoch; must not decrease from one row to the next */
  at: number;
}

/**
 * One stored message, with the mix of a busy chat: 60% sent texts (delivered or read), 35%
 * received texts, 4% reactions and 1% edits (those two are not listed in a chat's history).
 */
export function messageRow(spec: RowSpec, rand: () => number, status?: Row['status']): Row {
  const id = newId(spec.at);
  const when = new Date(spec.at).toISOString();
  const r = rand();
  const text = Array.from({ length: 2 + Math.floor(rand() * 12) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const fromMe = status ? true : r < 0.6;
  const type = status ? 'text' : r < 0.95 ? 'text' : r < 0.99 ? 'reaction' : 'edit';
  const content = type === 'text' ? { type, text } : type === 'reaction' ? { type, emoji: '👍' } : { type, text: `${text} (edited)` };
  return {
    id,
    tenant_id: spec.tenantId,
    device_id: spec.deviceId,
    chat_jid: spec.chatJid,
    wa_id: (fromMe ? '3EB0' : 'A5') + hex16(rand).toUpperCase(),
    from_me: fromMe,
    sender_jid: null,
    type,
    content_json: JSON.stringify(content),
    quoted_wa_id: null,
    quoted_message_id: null,
    target_wa_id: type === 'text' ? null : 'A5' + hex16(rand).toUpperCase(),
    target_message_id: null,
    status: status ?? (fromMe ? (rand() < 0.7 ? 'read' : 'delivered') : rand() < 0.9 ? 'read' : 'received'),
    reason: null,
    attempts: status === 'queued' ? 0 : fromMe ? 1 : 0,
    next_attempt_at: status === 'queued' ? when : null,
    expires_at: fromMe ? new Date(spec.at + 86_400_000).toISOString() : null,
    created_by: null,
    wa_timestamp: status === 'queued' ? null : when,
    edited_at: null,
    deleted_at: null,
    created_at: when,
    updated_at: when,
  };
}

/** A few thousand rows through Kysely (a queue prefill), 400 rows a statement in one transaction. */
export async function insertRowsKysely(db: Kysely<Database>, rows: Row[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 400)
      await trx
        .insertInto('messages')
        .values(rows.slice(i, i + 400))
        .execute();
  });
}

export interface BulkWriter {
  /** Buffers the row; writes when a batch is full. */
  add(row: Row): Promise<void>;
  /** Writes what is buffered and closes the writer's connection. */
  finish(): Promise<void>;
}

/** A bulk writer on its own connection to the scratch database (SQLite file or PostgreSQL URL). */
export async function bulkWriter(kind: Kind, target: { dataDir: string; databaseUrl: string | undefined }): Promise<BulkWriter> {
  if (kind === 'sqlite') {
    const sqlite = new SQLite(sqliteFilePath(target.dataDir));
    sqlite.pragma('journal_mode = WAL');
    // this connection only: a large page cache and no fsync, so that a million rows with their
    // four indexes go in quickly; the app's own connection keeps WUTS's settings
    sqlite.pragma('synchronous = OFF');
    sqlite.pragma('cache_size = -262144');
    sqlite.pragma('busy_timeout = 5000');
    const PER_STATEMENT = 200; // 200 x 24 = 4,800 parameters, well under SQLite's 32,766
    const PER_TRANSACTION = 20_000;
    const one = `(${COLUMNS.map(() => '?').join(',')})`;
    const many = sqlite.prepare(`insert into messages (${COLUMNS.join(',')}) values ${Array.from({ length: PER_STATEMENT }, () => one).join(',')}`);
    const single = sqlite.prepare(`insert into messages (${COLUMNS.join(',')}) values ${one}`);
    const values = (row: Row) => COLUMNS.map((c) => (c === 'from_me' ? (row.from_me ? 1 : 0) : row[c]));
    const write = sqlite.transaction((rows: Row[]) => {
      let i = 0;
      for (; i + PER_STATEMENT <= rows.length; i += PER_STATEMENT) many.run(rows.slice(i, i + PER_STATEMENT).flatMap(values));
      for (; i < rows.length; i++) single.run(values(rows[i]!));
    });
    let buffer: Row[] = [];
    return {
      add: async (row) => {
        buffer.push(row);
        if (buffer.length >= PER_TRANSACTION) {
          write(buffer);
          buffer = [];
        }
      },
      finish: async () => {
        if (buffer.length) write(buffer);
        buffer = [];
        sqlite.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  const PER_STATEMENT = 5_000;
  const text = `insert into messages (${COLUMNS.join(',')}) select * from unnest(${COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c]}[]`).join(',')})`;
  let buffer: Row[] = [];
  const flush = async () => {
    if (!buffer.length) return;
    const rows = buffer;
    buffer = [];
    await client.query(
      text,
      COLUMNS.map((c) => rows.map((r) => r[c])),
    );
  };
  return {
    add: async (row) => {
      buffer.push(row);
      if (buffer.length >= PER_STATEMENT) await flush();
    },
    finish: async () => {
      await flush();
      await client.end();
    },
  };
}
