import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { EmulatorService } from '../service.js';
import { groupRoutes } from './group-routes.js';
import { identityRoutes } from './identity-routes.js';
import { messageRoutes } from './message-routes.js';
import { restrictionRoutes } from './restriction-routes.js';
import * as M from './message-schemas.js';
import * as S from './schemas.js';
import { ok } from './views.js';

const errors = { 400: S.ErrorBody, 404: S.ErrorBody, 409: S.ErrorBody };
const tags = ['emulator'];

/** Accounts, linking (QR and pairing code), devices, traffic and info; messages in message-routes.ts. */
export function adminRoutes(app: FastifyInstance, service: EmulatorService): void {
  app.post<{ Body: { phone: string; name?: string; start_phone?: boolean } }>(
    '/admin/accounts',
    {
      schema: {
        tags,
        summary: 'Create an account (a phone number with its own LID, identity key and phone client)',
        body: S.CreateAccountBody,
        response: { 201: Type.Object({ success: Type.Literal(true), account: S.Account }), ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(ok({ account: await service.createAccount(req.body.phone, req.body.name, { startPhone: req.body.start_phone ?? true }) })),
  );

  app.get(
    '/admin/accounts',
    { schema: { tags, summary: 'List accounts', response: { 200: Type.Object({ success: Type.Literal(true), accounts: Type.Array(S.Account) }) } } },
    async () => ok({ accounts: service.hub.registry.list().map((a) => service.accountView(a)) }),
  );

  app.get<{ Params: { phone: string } }>(
    '/admin/accounts/:phone',
    {
      schema: {
        tags,
        summary: 'One account',
        params: S.PhoneParams,
        response: { 200: Type.Object({ success: Type.Literal(true), account: S.Account }), ...errors },
      },
    },
    async (req) => ok({ account: service.accountView(service.account(req.params.phone)) }),
  );

  app.post<{ Body: { qr: string; phone: string } }>(
    '/admin/link',
    {
      schema: {
        tags,
        summary: 'Link the device showing this QR to an account, as its phone scanning the QR would',
        description: 'Answers once the device confirmed the pairing; the device then restarts (515) and logs in.',
        body: S.LinkBody,
        response: { 200: Type.Object({ success: Type.Literal(true), device: S.Device }), ...errors },
      },
    },
    async (req) => {
      const device = await service.link(req.body.qr, req.body.phone);
      return ok({ device: service.deviceView(service.account(req.body.phone), device) });
    },
  );

  app.post<{ Body: { phone: string; code: string } }>(
    '/admin/pair',
    {
      schema: {
        tags,
        summary: 'Link the device that asked for this pairing code to an account, as its phone typing the code would',
        description:
          'The device asked for a code for this phone number (Baileys: requestPairingCode). Answers once the device confirmed the pairing; it then restarts (515) and logs in. ' +
          '404 code_pairing_not_found: no device waits for a code for this number (none asked, expired after 3 minutes, or already linked); 400 wrong_code: the code does not match (after 5 wrong codes the request is dropped).',
        body: S.PairBody,
        response: { 200: Type.Object({ success: Type.Literal(true), device: S.Device }), ...errors },
      },
    },
    async (req) => {
      const device = await service.pair(req.body.phone, req.body.code);
      return ok({ device: service.deviceView(service.account(req.body.phone), device) });
    },
  );

  messageRoutes(app, service);
  groupRoutes(app, service);
  identityRoutes(app, service);
  restrictionRoutes(app, service);

  app.get<{ Params: { phone: string } }>(
    '/admin/accounts/:phone/devices',
    {
      schema: {
        tags,
        summary: "The account's devices (0 is its phone)",
        params: S.PhoneParams,
        response: { 200: Type.Object({ success: Type.Literal(true), devices: Type.Array(S.Device) }), ...errors },
      },
    },
    async (req) => {
      const account = service.account(req.params.phone);
      return ok({
        devices: Object.values(account.devices)
          .sort((a, b) => a.id - b.id)
          .map((d) => service.deviceView(account, d)),
      });
    },
  );

  app.delete<{ Params: { phone: string; device: number } }>(
    '/admin/accounts/:phone/devices/:device',
    {
      schema: {
        tags,
        summary: 'Unlink a device: its client closes as logged out (401)',
        params: S.DeviceParams,
        response: { 200: Type.Object({ success: Type.Literal(true) }), ...errors },
      },
    },
    async (req) => {
      service.unlink(req.params.phone, req.params.device);
      return ok({});
    },
  );

  app.get<{ Params: { phone: string; device: number } }>(
    '/admin/accounts/:phone/devices/:device/queue',
    {
      schema: {
        tags,
        summary: 'The stanzas waiting for a device, oldest first: its offline queue',
        description:
          'A stanza waits until the device acks it without an error or, for a message, sends its receipt (a retry receipt does not count). ' +
          'A device that is offline, drops before answering, or NACKs it (an ack with an error, kept as `nack`) gets it again at its next login.',
        params: S.DeviceParams,
        response: { 200: Type.Object({ success: Type.Literal(true), queue: Type.Array(S.QueuedStanza) }), ...errors },
      },
    },
    async (req) => ok({ queue: service.queueView(req.params.phone, req.params.device) }),
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/admin/traffic',
    {
      schema: {
        tags,
        summary: 'Recent stanzas in and out (newest first; bounded ring buffer, no payloads)',
        querystring: S.LimitQuery,
        response: { 200: Type.Object({ success: Type.Literal(true), traffic: Type.Array(S.TrafficItem) }) },
      },
    },
    async (req) => ok({ traffic: service.hub.traffic.recent(req.query.limit ?? 50) }),
  );

  app.get(
    '/admin/connections',
    {
      schema: {
        tags,
        summary: 'Logins and replaced connections of every companion device, since the start or the last reset',
        description:
          'One entry per companion device (linked now, or counted and unlinked since): `logins` counts the logged-in connections attached, ' +
          '`replaced` those closed by a newer login of the same device (stream error <conflict type="replaced"/>, Baileys 440), `online` whether one is attached now. ' +
          "Phones (device 0, the emulator's own clients) are left out.",
        response: {
          200: Type.Object({ success: Type.Literal(true), devices: Type.Array(S.DeviceConnections), totals: S.ConnectionTotals }),
        },
      },
    },
    async () => ok(service.connectionsView()),
  );

  app.post(
    '/admin/connections/reset',
    {
      schema: {
        tags,
        summary: 'Zero the connection counts (logins, replaced); connections stay as they are',
        response: { 200: Type.Object({ success: Type.Literal(true) }) },
      },
    },
    async () => {
      service.hub.resetConnectionCounts();
      return ok({});
    },
  );

  app.get(
    '/admin/info',
    {
      schema: {
        tags,
        summary: 'How to point clients at this emulator',
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            ws_url: Type.String(),
            cert_root_public_key: Type.String({ description: 'hex; a client may set WA_CERT_DETAILS.PUBLIC_KEY to it' }),
            media_url: Type.String({ description: 'https base URL of the media host; its certificate: GET /admin/media/ca.pem' }),
          }),
        },
      },
    },
    async () =>
      ok({
        ws_url: service.wsUrl,
        cert_root_public_key: Buffer.from(service.hub.state.certRoot.public).toString('hex'),
        media_url: service.media.host.url,
      }),
  );

  app.get(
    '/admin/media/ca.pem',
    {
      schema: {
        tags,
        summary: "The media host's certificate (PEM): what clients must trust to upload and download media",
        description:
          'The media host (https://127.0.0.1:PORT, named by the w:m media_conn answer) has a self-signed certificate, its own CA. ' +
          'Save this to a file and start Node with NODE_EXTRA_CA_CERTS=<file>, or give Baileys fetchAgent and a download dispatcher trusting it (mediaTrust from @wuts/wa-emulator).',
        response: { 200: Type.String({ description: 'PEM' }) },
      },
    },
    async (_req, reply) => reply.header('content-type', 'application/x-pem-file').send(service.media.host.caPem),
  );

  app.post<{ Body: { direct_path?: string; phone?: string; message_id?: string } }>(
    '/admin/media/expire',
    {
      schema: {
        tags,
        summary: 'Make the media host forget an encrypted blob, as when media expires on WhatsApp: its downloads answer 404',
        description:
          'Names the blob by `direct_path` (or the media URL), or by `phone` and `message_id`: a media message that account sent or received. ' +
          'Records and the decrypted copies the phones keep stay. 404 media_not_found (no such blob, or already expired), account_not_found, message_not_found; 400 not_a_media_message, invalid_request.',
        body: M.ExpireMediaBody,
        response: { 200: Type.Object({ success: Type.Literal(true), direct_path: Type.String() }), ...errors },
      },
    },
    async (req) => ok({ direct_path: service.expireMedia(req.body) }),
  );
}
