import { Type } from 'typebox';
import { reidentifyUser, requireActor } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { USER_ONLY_SECURITY, errorResponses, uuid } from '../http/schemas.js';
import { tooManyRequests } from '../lib/errors.js';
import { EventStream, planStream } from './event-stream.js';

const StreamQuery = Type.Object(
  {
    types: Type.Optional(Type.String({ maxLength: 1000, description: 'comma-separated event types or families (`message.*`); all when absent' })),
    after: Type.Optional(uuid('resume after this event id (the Last-Event-ID header does the same)')),
  },
  { additionalProperties: false },
);

export function registerEventStreamRoutes(app: App, deps: Deps): void {
  const openPerTenant = new Map<string, number>();
  const streams = new Set<EventStream>();
  // Open streams would keep the server from closing: end them before it closes.
  app.addHook('preClose', async () => {
    for (const stream of [...streams]) stream.end();
  });

  app.get(
    '/events/stream',
    {
      schema: {
        summary: 'Live event stream (Server-Sent Events)',
        description:
          "The events of the caller's tenant as `text/event-stream`: each message has `id` (the event id), `event` (its type) and `data` (the event JSON, as delivered to webhooks). Resume with `after` or the Last-Event-ID header; without either, the stream starts with the next event. User and tenant events are shown to admins and supervisors only. At most WUTS_MAX_STREAMS_PER_TENANT open streams per tenant per node (429).",
        tags: ['events'],
        security: USER_ONLY_SECURITY,
        querystring: StreamQuery,
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const lastEventId = req.headers['last-event-id'];
      const resumeFrom = req.query.after ?? (typeof lastEventId === 'string' && lastEventId ? lastEventId.trim().toLowerCase() : undefined);
      const plan = await planStream(deps, await requireActor(deps, req), { types: req.query.types, resumeFrom });
      const { actor } = plan;
      const open = openPerTenant.get(actor.tenantId) ?? 0;
      if (open >= deps.config.maxStreamsPerTenant) throw tooManyRequests(5, 'too many open event streams for this tenant');
      openPerTenant.set(actor.tenantId, open + 1);
      reply.hijack();
      const stream: EventStream = new EventStream(
        deps,
        reply.raw,
        () => reidentifyUser(deps, req),
        actor,
        plan.filters,
        plan.start,
        () => {
          openPerTenant.set(actor.tenantId, (openPerTenant.get(actor.tenantId) ?? 1) - 1);
          streams.delete(stream);
        },
      );
      streams.add(stream);
      stream.open();
      return reply;
    },
  );
}
