// The server side of bench/messages.ts's first comparison, one child process per run (started
// by it over IPC; not meant to be run by hand): either WUTS (a scratch database, its app
// listening on 127.0.0.1, a tenant and one device that is never connected, optionally with
// queued messages already waiting) or a bare Fastify app with one POST route. The client
// runs in the parent, so that the load generator does not share this event loop.
//   node dist/bench/messages-accept-server.js --server bare|wuts [--kind sqlite|postgres] [--pg-url URL] [--prefill N]
// Messages from the parent: {type: 'profile-start'} (a V8 CPU profile of this process from
// now on) and {type: 'finish'}; answers {type: 'ready', ...}, {type: 'profiling'}, {type: 'done', ...}.
import { Session } from 'node:inspector';
import { post, summarise, type Profile, type ProfileSummary } from './cpu-profile.js';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { newId } from '../src/lib/ids.js';
import { openWuts, tenantWithDevices, type BenchWuts, type Kind } from './messages-common.js';
import { insertRowsKysely, messageRow, prng } from './messages-fill.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** A Fastify app with one POST route: ajv validates a body like WUTS's text send, and it answers 202 with a message-sized JSON. */
async function bareApp() {
  const app = Fastify({ logger: false });
  const str = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
  app.post(
    '/devices/:id/messages',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' } }, required: ['id'], additionalProperties: false },
        body: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: ['text', 'location', 'contact', 'poll', 'reaction', 'edit', 'delete'] },
            to: str(128),
            text: str(4096),
            link_preview: { type: 'boolean' },
          },
          required: ['type'],
          additionalProperties: false,
        },
        response: {
          202: {
            type: 'object',
            properties: {
              success: { type: 'boolean' },
              message: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  device_id: { type: 'string' },
                  chat_jid: { type: 'string' },
                  wa_id: { type: 'string' },
                  direction: { type: 'string' },
                  type: { type: 'string' },
                  content: { type: 'object', properties: { text: { type: 'string' } } },
                  status: { type: 'string' },
                  attempts: { type: 'integer' },
                  expires_at: { type: 'string' },
                  created_at: { type: 'string' },
                  updated_at: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const body = req.body as { to: string; text: string; type: string };
      const now = new Date().toISOString();
      return reply.code(202).send({
        success: true,
        message: {
          id: newId(),
          device_id: id,
          chat_jid: `${body.to}@s.whatsapp.net`,
          wa_id: '3EB0' + id.slice(0, 16),
          direction: 'outbound',
          type: body.type,
          content: { text: body.text },
          status: 'queued',
          attempts: 0,
          expires_at: now,
          created_at: now,
          updated_at: now,
        },
      });
    },
  );
  // the floor of a WUTS route without WUTS: a path parameter checked, a device-sized JSON answered
  app.get(
    '/devices/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' } }, required: ['id'], additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              success: { type: 'boolean' },
              device: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  name: { type: 'string' },
                  status: { type: 'string' },
                  phone: { type: ['string', 'null'] },
                  queued_messages: { type: 'integer' },
                  created_at: { type: 'string' },
                  updated_at: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const now = new Date().toISOString();
      return { success: true, device: { id, name: 'bench phone', status: 'created', phone: null, queued_messages: 0, created_at: now, updated_at: now } };
    },
  );
  return app;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const server = arg('--server');
  const kind = (arg('--kind') ?? 'sqlite') as Kind;
  const prefill = Math.min(200_000, Math.max(0, Number(arg('--prefill')) || 0));
  let wuts: BenchWuts | undefined;
  let url: string;
  let token = '';
  let deviceId = newId();
  let stats = async (): Promise<Record<string, number>> => ({});
  let close = async () => {};
  if (server === 'bare') {
    const app = await bareApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    close = () => app.close();
  } else if (server === 'wuts') {
    const w = await openWuts(kind, arg('--pg-url'));
    wuts = w;
    const t = await tenantWithDevices(w, 1);
    token = t.token;
    deviceId = t.deviceIds[0]!;
    if (prefill) {
      const rand = prng(7);
      const start = Date.now();
      const rows = Array.from({ length: prefill }, (_, i) =>
        messageRow(
          { tenantId: t.tenantId, deviceId, chatJid: `1555${String(i % 50).padStart(7, '0')}@s.whatsapp.net`, at: start + Math.floor(i / 1000) },
          rand,
          'queued',
        ),
      );
      await insertRowsKysely(w.db.kysely, rows);
    }
    await w.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}`;
    stats = async () => {
      const rows = await w.db.kysely
        .selectFrom('messages')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('device_id', '=', deviceId)
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    };
    close = () => w.close();
  } else {
    throw new Error('--server bare|wuts');
  }

  let session: Session | undefined;
  process.on('message', (msg: { type: string }) => {
    void (async () => {
      if (msg.type === 'profile-start') {
        session = new Session();
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
        await post(session, 'Profiler.start');
        process.send!({ type: 'profiling' });
      } else if (msg.type === 'finish') {
        let profile: ProfileSummary | undefined;
        if (session) {
          const { profile: p } = await post<{ profile: Profile }>(session, 'Profiler.stop');
          session.disconnect();
          profile = summarise(p);
        }
        const counts = await stats();
        await close();
        process.send!({ type: 'done', counts, profile }, () => process.exit(0));
      }
    })().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
  process.send!({ type: 'ready', url, token, deviceId, dialect: wuts?.db.dialect ?? null });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
