import type { ServerResponse } from 'node:http';
import { tenantUserOf, type Actor, type UserActor } from '../auth/actor.js';
import { canSeeEvent } from '../auth/policy.js';
import type { Deps } from '../deps.js';
import { badRequest } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { filterMatches, isKnownFilter } from './catalog.js';
import { toEnvelope } from './envelope.js';
import { latestEventId, listEventsAfter, type EventRow } from './repo.js';

const HEARTBEAT_MS = 15_000;
const POLL_MS = 1000;
const REAUTH_MS = 5000;
const BATCH = 200;
/**
 * Event ids are made inside their transaction, before it commits, so on PostgreSQL an event
 * can become visible after a later one. Each read looks this far behind the newest id sent
 * and skips what it has sent already.
 */
const LAG_MS = 5000;

/** The smallest UUIDv7 of a millisecond: ids compare as their creation times do. */
function uuidFloor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

function idTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

export interface StreamPlan {
  actor: UserActor;
  /** Event types and families asked for; null for all. */
  filters: string[] | null;
  /** Nothing at or before this id is sent. */
  start: string | undefined;
}

/**
 * Checks a request for a live stream: a tenant user, known event types (comma-separated), a
 * resume point that is an event id; without one, the stream starts after the newest event.
 */
export async function planStream(deps: Deps, actor: Actor, query: { types?: string | undefined; resumeFrom?: string | undefined }): Promise<StreamPlan> {
  const user = tenantUserOf(actor, 'events');
  const filters = query.types
    ? query.types
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : null;
  const unknown = (filters ?? []).filter((f) => !isKnownFilter(f));
  if (unknown.length) throw badRequest(`unknown event types: ${unknown.join(', ')}`, 'invalid_event_types');
  if (query.resumeFrom !== undefined && !isUuid(query.resumeFrom)) throw badRequest('Last-Event-ID is not an event id');
  return { actor: user, filters, start: query.resumeFrom ?? (await latestEventId(deps.db.kysely, user.tenantId)) };
}

/** One open /events/stream connection: Server-Sent Events of one tenant, after a cursor. */
export class EventStream {
  private closed = false;
  private busy = false;
  private again = false;
  private readonly sent = new Map<string, number>();
  private lastAuth = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly deps: Deps,
    private readonly raw: ServerResponse,
    /** The caller as its credentials stand now: null once its token, user or tenant is no longer valid. */
    private readonly reidentify: () => Promise<UserActor | null>,
    private actor: UserActor,
    private readonly filters: string[] | null,
    /** Nothing at or before this id is sent: the resume point, or the newest event at opening. */
    private readonly start: string | undefined,
    private readonly onEnd: () => void,
  ) {
    this.cursor = start;
  }

  private cursor: string | undefined;

  /** Starts writing to the response, which the caller has taken over from the framework. */
  open(): void {
    const raw = this.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');
    this.unsubscribe = this.deps.bus.subscribe(() => void this.flush());
    this.timers = [setInterval(() => void this.flush(), POLL_MS), setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS)];
    raw.on('close', () => this.close());
    raw.on('error', () => this.close());
    void this.flush();
  }

  /** Ends the stream (server shutdown, or the caller lost its access). */
  end(): void {
    this.close();
    this.raw.end();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    this.onEnd();
  }

  private async flush(): Promise<void> {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      if (!(await this.stillAllowed())) return this.end();
      do {
        this.again = false;
        await this.sendNew();
      } while (this.again && !this.closed);
    } catch (err) {
      this.deps.logger.warn({ err }, 'event stream: reading events failed');
    } finally {
      this.busy = false;
    }
  }

  /** A deactivated user, a revoked token or a suspended tenant ends the stream; a new role applies. */
  private async stillAllowed(): Promise<boolean> {
    if (Date.now() - this.lastAuth < REAUTH_MS) return true;
    this.lastAuth = Date.now();
    const actor = await this.reidentify();
    if (!actor) return false;
    this.actor = actor;
    return true;
  }

  /** Sends the events after the cursor, looking LAG_MS behind it for late commits. */
  private async sendNew(): Promise<void> {
    for (let round = 0; round < 50 && !this.closed; round++) {
      const lagged = this.cursor ? uuidFloor(idTime(this.cursor) - LAG_MS) : undefined;
      const floor = this.start && (!lagged || this.start > lagged) ? this.start : lagged;
      const limit = BATCH + this.sent.size;
      const rows = await listEventsAfter(this.deps.db.kysely, this.actor.tenantId, { afterId: floor, limit });
      for (const row of rows) {
        if (this.sent.has(row.id)) continue;
        this.sent.set(row.id, idTime(row.id));
        if (!this.cursor || row.id > this.cursor) this.cursor = row.id;
        if (filterMatches(this.filters, row.type) && canSeeEvent(this.actor, row.type)) await this.write(row);
      }
      this.forgetOld();
      if (rows.length < limit) break;
    }
  }

  /** Ids this far behind the cursor are below every later read's floor. */
  private forgetOld(): void {
    if (!this.cursor) return;
    const horizon = idTime(this.cursor) - 2 * LAG_MS;
    for (const [id, t] of this.sent) if (t < horizon) this.sent.delete(id);
  }

  private async write(row: EventRow): Promise<void> {
    const raw = this.raw;
    if (!raw.write(`id: ${row.id}\nevent: ${row.type}\ndata: ${JSON.stringify(toEnvelope(row))}\n\n`)) {
      await new Promise<void>((resolve) => {
        raw.once('drain', resolve);
        raw.once('close', resolve);
      });
    }
  }
}
