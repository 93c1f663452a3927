import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database, EventsTable, WebhooksTable } from '../db/schema.js';

const UNFINISHED = ['pending', 'delivering'] as const;

/**
 * The id of the oldest unfinished delivery of every webhook and order key. PostgreSQL has no
 * min() over uuid, so it takes DISTINCT ON; SQLite groups and joins back.
 */
function headIds(db: Kysely<Database>, dialect: DialectName) {
  if (dialect === 'postgres') {
    return db
      .selectFrom('deliveries')
      .distinctOn(['webhook_id', 'order_key'])
      .select('id')
      .where('status', 'in', UNFINISHED)
      .orderBy('webhook_id')
      .orderBy('order_key')
      .orderBy('event_id');
  }
  return db
    .selectFrom((eb) =>
      eb
        .selectFrom('deliveries')
        .select(['webhook_id', 'order_key'])
        .select((e) => e.fn.min('event_id').as('event_id'))
        .where('status', 'in', UNFINISHED)
        .groupBy(['webhook_id', 'order_key'])
        .as('h'),
    )
    .innerJoin('deliveries as hd', (join) =>
      join.onRef('hd.webhook_id', '=', 'h.webhook_id').onRef('hd.order_key', '=', 'h.order_key').onRef('hd.event_id', '=', 'h.event_id'),
    )
    .select('hd.id');
}

/** A delivery as the dispatcher sends it: the row's keys and its event, read together. */
export interface DueDelivery {
  id: string;
  tenant_id: string;
  webhook_id: string;
  order_key: string;
  event_id: string;
  attempt_count: number;
  event: EventsTable;
}

/** The webhook columns the dispatcher needs, read with the claim (the cache checks them against what it holds). */
export type ClaimedWebhook = Pick<
  WebhooksTable,
  'id' | 'tenant_id' | 'url' | 'secret' | 'previous_secret' | 'previous_secret_expires_at' | 'enabled' | 'updated_at'
>;

/**
 * A claimed head and the due deliveries queued behind it in its webhook and order key, oldest
 * first. Only the head is claimed (`delivering`, leased): while it stays unfinished no other
 * claim can reach any delivery of the key, so whoever holds the head's lease owns the key.
 */
export interface ClaimedRun {
  /** The lease the head is held with; outcomes are written only while it still holds. */
  lease_until: string;
  head: DueDelivery;
  followers: DueDelivery[];
  webhook: ClaimedWebhook;
}

type Row = Omit<DueDelivery, 'event'> & {
  e_device_id: string | null;
  e_type: string;
  e_version: number;
  e_data_json: string;
  e_created_at: string;
  next_attempt_at: string;
};

function toDue(r: Row): DueDelivery {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    webhook_id: r.webhook_id,
    order_key: r.order_key,
    event_id: r.event_id,
    attempt_count: r.attempt_count,
    event: {
      id: r.event_id,
      tenant_id: r.tenant_id,
      device_id: r.e_device_id,
      type: r.e_type,
      version: r.e_version,
      data_json: r.e_data_json,
      created_at: r.e_created_at,
    },
  };
}

function deliveryColumns(trx: Kysely<Database>) {
  return trx
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.tenant_id', 'd.webhook_id', 'd.order_key', 'd.event_id', 'd.attempt_count', 'd.next_attempt_at'])
    .select(['e.device_id as e_device_id', 'e.type as e_type', 'e.version as e_version', 'e.data_json as e_data_json', 'e.created_at as e_created_at']);
}

/**
 * Up to `perRun` deliveries queued behind each claimed head, oldest first, cut at the first one
 * not yet due (a later delivery never overtakes an earlier one).
 */
async function followersOf(trx: Kysely<Database>, heads: { webhook_id: string; order_key: string; event_id: string }[], now: string, perRun: number) {
  const out = new Map<string, DueDelivery[]>();
  if (heads.length === 0 || perRun <= 0) return out;
  // One statement: a limited, ordered read of each key's queue, side by side (UNION ALL).
  const perKey = heads.map((h, i) =>
    trx
      .selectFrom(
        deliveryColumns(trx)
          .where('d.status', '=', 'pending')
          .where('d.webhook_id', '=', h.webhook_id)
          .where('d.order_key', '=', h.order_key)
          .where('d.event_id', '>', h.event_id)
          .orderBy('d.event_id')
          .limit(perRun)
          .as(`k${i}`),
      )
      .selectAll(),
  );
  let all = perKey[0]!;
  for (const q of perKey.slice(1)) all = all.unionAll(q);
  const rows = ((await all.execute()) as Row[]).sort((x, y) => (x.event_id < y.event_id ? -1 : x.event_id > y.event_id ? 1 : 0));
  const cut = new Set<string>();
  for (const r of rows) {
    const key = `${r.webhook_id}|${r.order_key}`;
    if (cut.has(key)) continue;
    if (r.next_attempt_at > now) {
      cut.add(key);
      continue;
    }
    const list = out.get(key) ?? [];
    list.push(toDue(r));
    out.set(key, list);
  }
  return out;
}

/**
 * Claims due deliveries for this node: pending ones whose time has come, and claimed ones
 * whose lease ran out (their node died). Only the head of each webhook and order key (its
 * oldest unfinished delivery) is a candidate, so receivers see each device's events in order
 * and a later event waits while an earlier one is retried. The heads come from one pass over
 * an index of the unfinished deliveries, whatever the number of finished ones; each comes with
 * its event, its webhook and up to `perRun - 1` due deliveries behind it, in one transaction.
 * PostgreSQL: `FOR UPDATE SKIP LOCKED` lets nodes claim side by side. SQLite: the single
 * connection makes the transaction exclusive.
 */
export async function claimDueRuns(
  db: Kysely<Database>,
  dialect: DialectName,
  opts: {
    now: string;
    leaseUntil: string;
    limit: number;
    perRun: number;
    /** Keys (`webhook|order key`) this node is sending right now: never claimed twice. */
    heldKeys: Set<string>;
    inFlightPerWebhook: Map<string, number>;
    perWebhookLimit: number;
  },
): Promise<ClaimedRun[]> {
  return db.transaction().execute(async (trx) => {
    let q = deliveryColumns(trx)
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(['w.url', 'w.secret', 'w.previous_secret', 'w.previous_secret_expires_at', 'w.enabled', 'w.updated_at'])
      .where('d.id', 'in', headIds(trx, dialect))
      .where('w.enabled', '=', true)
      // Due: pending and its time has come, or claimed and its lease ran out. Written as CASE so that
      // SQLite looks the heads up by id rather than walking every unfinished delivery for the OR.
      .where(
        sql<boolean>`case when ${sql.ref('d.status')} = 'pending' then ${sql.ref('d.next_attempt_at')} <= ${opts.now} when ${sql.ref('d.status')} = 'delivering' then ${sql.ref('d.lease_until')} < ${opts.now} else false end`,
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.event_id')
      .limit(opts.limit * 4);
    if (dialect === 'postgres') q = q.forUpdate(['d']).skipLocked();
    const candidates = await q.execute();

    const counts = new Map(opts.inFlightPerWebhook);
    const chosen: typeof candidates = [];
    for (const c of candidates) {
      if (chosen.length >= opts.limit) break;
      if (opts.heldKeys.has(`${c.webhook_id}|${c.order_key}`)) continue;
      const n = counts.get(c.webhook_id) ?? 0;
      if (n >= opts.perWebhookLimit) continue;
      counts.set(c.webhook_id, n + 1);
      chosen.push(c);
    }
    if (chosen.length === 0) return [];
    await trx
      .updateTable('deliveries')
      .set({ status: 'delivering', lease_until: opts.leaseUntil, updated_at: opts.now })
      .where(
        'id',
        'in',
        chosen.map((c) => c.id),
      )
      .execute();
    const followers = await followersOf(trx, chosen, opts.now, opts.perRun - 1);
    return chosen.map((c) => ({
      lease_until: opts.leaseUntil,
      head: toDue(c),
      followers: followers.get(`${c.webhook_id}|${c.order_key}`) ?? [],
      webhook: {
        id: c.webhook_id,
        tenant_id: c.tenant_id,
        url: c.url,
        secret: c.secret,
        previous_secret: c.previous_secret,
        previous_secret_expires_at: c.previous_secret_expires_at,
        enabled: c.enabled,
        updated_at: c.updated_at,
      },
    }));
  });
}

/**
 * The due deliveries queued in a key after `afterEventId`, oldest first, for a run that holds
 * the key's head and has sent everything it read (a read only: the head's lease keeps the key).
 */
export async function queuedAfter(
  db: Kysely<Database>,
  key: { webhook_id: string; order_key: string },
  afterEventId: string,
  now: string,
  limit: number,
): Promise<DueDelivery[]> {
  const found = await followersOf(db, [{ ...key, event_id: afterEventId }], now, limit);
  return found.get(`${key.webhook_id}|${key.order_key}`) ?? [];
}
