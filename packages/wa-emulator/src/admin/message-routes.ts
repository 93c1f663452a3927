import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { LIMITS } from '../model.js';
import type { SendRequest } from '../phone/send-request.js';
import type { EmulatorService } from '../service.js';
import * as M from './message-schemas.js';
import * as S from './schemas.js';
import { actionView, ok, receivedView, sentView } from './views.js';

const errors = { 400: S.ErrorBody, 404: S.ErrorBody, 502: S.ErrorBody };
const tags = ['emulator'];
type IdParams = { phone: string; id: string };

const ACTION_ERRORS =
  '404 account_not_found or message_not_found (no record of this id; the account keeps its last 1,000 received and 1,000 sent messages); ' +
  '400 message_deleted (the target was deleted for everyone); 502 send_failed (the phone client could not send).';

/** Sending from an account's phone, and what it received and sent. */
export function messageRoutes(app: FastifyInstance, service: EmulatorService): void {
  app.post<{ Params: { phone: string }; Body: SendRequest }>(
    '/admin/accounts/:phone/messages',
    {
      // media come as base64 in the JSON body
      bodyLimit: Math.ceil(LIMITS.sendMediaBytes / 3) * 4 + LIMITS.httpBodyBytes,
      schema: {
        tags,
        summary:
          'Send a text, location, contact card, poll or media (image, video, audio, voice note, document, sticker) from the account (end-to-end encrypted, by its phone client)',
        description:
          '`type` (default text) names the content field to fill: `text`, `location`, `contact` or `poll`; the others must be absent. `quoted_id` makes any of them a reply. ' +
          'Media types (`image`, `video`, `audio`, `voice`, `document`, `sticker`) take `media: {data: base64}` and the media fields each allows: ' +
          'mime_type (all), caption (image, video, document), filename (document), view_once (image, video, voice), seconds (video, audio, voice), waveform (voice), thumbnail (image, video). ' +
          "The phone's Baileys client encrypts the file, uploads it to the emulator's media host and sends the media message; the record's `media` shows what was sent (sha256 of the bytes). " +
          'Answers 201 with the sent record; a send the client could not complete is still 201, with status failed and error. ' +
          '400 invalid_request (schema), invalid_message (missing or extra content field, media.data not base64), media_too_large, invalid_poll (options not distinct, selectable_count above the options); ' +
          '404 account_not_found, recipient_not_found (not an account of this emulator), quoted_message_not_found (quoted_id is no message of this chat); 400 message_deleted (quoting a deleted message).',
        params: S.PhoneParams,
        body: M.SendBody,
        response: { 201: Type.Object({ success: Type.Literal(true), message: M.Sent }), ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(ok({ message: sentView(await service.send(req.params.phone, req.body)) })),
  );

  app.get<{ Params: { phone: string }; Querystring: { limit?: number } }>(
    '/admin/accounts/:phone/messages',
    {
      schema: {
        tags,
        summary: 'Messages the account received, and those it sent with their status (receipts); newest last',
        description: 'Both lists show edits, deletes, reactions and poll votes applied to each message, whoever made them (this account included).',
        params: S.PhoneParams,
        querystring: S.LimitQuery,
        response: { 200: Type.Object({ success: Type.Literal(true), received: Type.Array(M.Received), sent: Type.Array(M.Sent) }), ...errors },
      },
    },
    async (req) => {
      const account = service.account(req.params.phone);
      const limit = req.query.limit ?? 50;
      return ok({ received: account.received.slice(-limit).map(receivedView), sent: account.sent.slice(-limit).map(sentView) });
    },
  );

  app.get<{ Params: IdParams }>(
    '/admin/accounts/:phone/messages/:id/media',
    {
      schema: {
        tags,
        summary: 'The file of a media message the account sent, or received and decrypted',
        description:
          'Answers the bytes with their Content-Type (the mime type of the message) and Content-Length. ' +
          '404 account_not_found, message_not_found, media_not_available (not downloaded: `media.state` downloading or failed, or dropped from the full media store); 400 not_a_media_message.',
        params: M.MessageIdParams,
        response: { 200: Type.String({ description: 'the file' }), ...errors },
      },
    },
    async (req, reply) => {
      const { media, blob } = service.mediaOf(req.params.phone, req.params.id);
      return reply
        .header('content-type', media.mimeType ?? 'application/octet-stream')
        .header('content-length', String(blob.size))
        .send(blob.read());
    },
  );

  app.post<{ Params: { phone: string }; Body: { ids?: string[] } }>(
    '/admin/accounts/:phone/read',
    {
      // an empty body means "all unread"
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        tags,
        summary: 'Mark received messages read: sends read receipts to their senders',
        params: S.PhoneParams,
        body: S.ReadBody,
        response: { 200: Type.Object({ success: Type.Literal(true), read: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (req) => ok({ read: (await service.markRead(req.params.phone, req.body?.ids)).map((m) => m.id) }),
  );

  app.post<{ Params: IdParams; Body: { emoji: string } }>(
    '/admin/accounts/:phone/messages/:id/react',
    {
      schema: {
        tags,
        summary: 'React to a message the account received or sent; an empty emoji removes the reaction',
        description: `Answers 201 with the id of the reaction message and the target as it now stands. ${ACTION_ERRORS}`,
        params: M.MessageIdParams,
        body: M.ReactBody,
        response: { 201: M.ActionAnswer, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(actionView(await service.react(req.params.phone, req.params.id, req.body.emoji))),
  );

  app.post<{ Params: IdParams; Body: { text: string } }>(
    '/admin/accounts/:phone/messages/:id/edit',
    {
      schema: {
        tags,
        summary: 'Edit the text of a text message the account sent',
        description: `Answers 201 with the id of the edit message and the target (edited: true). 400 not_sent_by_account (a received message), not_a_text_message. ${ACTION_ERRORS}`,
        params: M.MessageIdParams,
        body: M.EditBody,
        response: { 201: M.ActionAnswer, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(actionView(await service.edit(req.params.phone, req.params.id, req.body.text))),
  );

  app.post<{ Params: IdParams }>(
    '/admin/accounts/:phone/messages/:id/delete',
    {
      schema: {
        tags,
        summary: 'Delete for everyone a message the account sent',
        description: `Answers 201 with the id of the revoke message and the target (deleted: true, content cleared). 400 not_sent_by_account. ${ACTION_ERRORS}`,
        params: M.MessageIdParams,
        response: { 201: M.ActionAnswer, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(actionView(await service.deleteMessage(req.params.phone, req.params.id))),
  );

  app.post<{ Params: IdParams; Body: { options: string[] } }>(
    '/admin/accounts/:phone/messages/:id/vote',
    {
      schema: {
        tags,
        summary: 'Vote on a poll the account received (or sent), by option names',
        description:
          'Sends an encrypted pollUpdateMessage bound to the poll creator and this account: phone-number jids, or LID jids when the chat is addressed by LID. ' +
          `Answers 201 with the id of the vote message and the poll (votes). 400 not_a_poll, unknown_poll_option, too_many_options (more than selectable_count), poll_secret_missing. ${ACTION_ERRORS}`,
        params: M.MessageIdParams,
        body: M.VoteBody,
        response: { 201: M.ActionAnswer, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(actionView(await service.vote(req.params.phone, req.params.id, req.body.options))),
  );
}
