import { Type } from 'typebox';
import type { FastifyReply } from 'fastify';
import { tenantUserOf, type UserActor } from '../auth/actor.js';
import { requireActor } from '../auth/authenticate.js';
import { can } from '../auth/policy.js';
import type { AppContext } from '../context.js';
import type { App } from '../http/app-types.js';
import { USER_ONLY_SECURITY, errorResponses, uuid } from '../http/schemas.js';
import { badRequest, tooManyRequests } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { filterMatches, isKnownFilter } from './catalog.js';
import { toEnvelope } from './envelope.js';
import { latestEventId, listEventsAfter, type EventRow } from './repo.js';

const StreamQuery = Type.Object(
  {
    types: Type.Optional(Type.String({ maxLength: 1000, description: 'comma-separated event types or families (`message.*`); all when absent' })),
    after: Type.Optional(uuid('resume after this event id (the Last-Event-ID header does the same)')),
  },
  { additionalProperties: false },
);

const HEARTBEAT_MS = 15_000;
const POLL_MS = 1000;
const BATCH = 200;

/** User and tenant events describe other users: only admins and supervisors see them. */
function visibleTo(actor: UserActor, type: string): boolean {
  if (type.startsWith('user.') || type.startsWith('tenant.')) return can(actor, 'users.read');
  return true;
}

export function registerEventStreamRoutes(app: App, ctx: AppContext): void {
  const openPerTenant = new Map<string, number>();
  const endAll = new Set<() => void>();
  // Open streams would keep the server from closing: end them at shutdown.
  app.addHook('onClose', async () => {
    for (const end of [...endAll]) end();
  });

  app.get(
    '/events/stream',
    {
      schema: {
        summary: 'Live event stream (Server-Sent Events)',
        description:
          'The events of the caller\'s tenant as `text/event-stream`: each message has `id` (the event id), `event` (its type) and `data` (the event JSON, as delivered to webhooks). Resume with `after` or the Last-Event-ID header; without either, the stream starts with the next event. User and tenant events are shown to admins and supervisors only. At most WUTS_MAX_STREAMS_PER_TENANT open streams per tenant per node (429).',
        tags: ['events'],
        security: USER_ONLY_SECURITY,
        querystring: StreamQuery,
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const actor = tenantUserOf(await requireActor(ctx, req), 'events');
      const filters = req.query.types ? req.query.types.split(',').map((t) => t.trim()).filter(Boolean) : null;
      const unknown = (filters ?? []).filter((f) => !isKnownFilter(f));
      if (unknown.length) throw badRequest(`unknown event types: ${unknown.join(', ')}`, 'invalid_event_types');
      const lastEventId = req.headers['last-event-id'];
      const resumeFrom = req.query.after ?? (typeof lastEventId === 'string' && lastEventId ? lastEventId.trim().toLowerCase() : undefined);
      if (resumeFrom !== undefined && !isUuid(resumeFrom)) throw badRequest('Last-Event-ID is not an event id');

      const open = openPerTenant.get(actor.tenantId) ?? 0;
      if (open >= ctx.config.maxStreamsPerTenant) throw tooManyRequests(5, 'too many open event streams for this tenant');
      openPerTenant.set(actor.tenantId, open + 1);

      let cursor = resumeFrom ?? (await latestEventId(ctx.db.kysely, actor.tenantId));
      const end = streamTo(reply, ctx, actor, filters, () => cursor, (id) => (cursor = id), () => {
        openPerTenant.set(actor.tenantId, (openPerTenant.get(actor.tenantId) ?? 1) - 1);
        endAll.delete(end);
      });
      endAll.add(end);
      return reply;
    },
  );
}

function streamTo(
  reply: FastifyReply,
  ctx: AppContext,
  actor: UserActor,
  filters: string[] | null,
  getCursor: () => string | undefined,
  setCursor: (id: string) => void,
  onClose: () => void,
): () => void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(': connected\n\n');

  let closed = false;
  let busy = false;
  let again = false;
  const write = (e: EventRow) => raw.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(toEnvelope(e))}\n\n`);

  const flush = async (): Promise<void> => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        for (let round = 0; round < 50 && !closed; round++) {
          const rows = await listEventsAfter(ctx.db.kysely, actor.tenantId, { afterId: getCursor(), limit: BATCH });
          for (const row of rows) {
            if (filterMatches(filters, row.type) && visibleTo(actor, row.type)) write(row);
            setCursor(row.id);
          }
          if (rows.length < BATCH) break;
        }
      } while (again && !closed);
    } catch (err) {
      ctx.logger.warn({ err }, 'event stream: reading events failed');
    } finally {
      busy = false;
    }
  };

  const unsubscribe = ctx.bus.subscribe(() => void flush());
  const poll = setInterval(() => void flush(), POLL_MS);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(poll);
    clearInterval(heartbeat);
    onClose();
  };
  raw.on('close', close);
  raw.on('error', close);
  void flush();
  return () => {
    close();
    raw.end();
  };
}
