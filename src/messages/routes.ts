import type { Deps } from '../deps.js';
import type { App } from '../http/app-types.js';
import { requireActor } from '../auth/authenticate.js';
import { BODY_ERRORS, IdParams, SuccessOnly, USER_ONLY_SECURITY, errorResponses } from '../http/schemas.js';
import * as actions from './actions.js';
import * as history from './history.js';
import { readIdempotencyKey } from './idempotency.js';
import { MESSAGE_LIMITS as L } from './limits.js';
import * as S from './schemas.js';
import { MEDIA_CONTENT_RESPONSES } from '../media/schemas.js';
import { sendMediaContent } from '../http/media-stream.js';
import * as messages from './service.js';

const tags = ['messages'];
const security = USER_ONLY_SECURITY;

const SEND_DESCRIPTION = `Admins, supervisors and agents. Queues the message durably and answers 202 with it in status \`queued\`; the device's queue then sends it in order, paced (WUTS_SEND_INTERVAL_MS, or the device's own interval, with jitter), when the device is connected. Statuses then move queued → sent (server ack) → delivered → read, or failed with a \`reason\` (\`not_on_whatsapp\`, \`ttl_expired\`, \`device_logged_out\`, \`account_restricted: ...\` for a one-to-one chat the device never had a conversation in while WhatsApp restricts the account (the device's \`restriction\`; failed at once, naming until when), or the error after WUTS_SEND_MAX_ATTEMPTS transient failures); each change is a \`message.status\` event. The WhatsApp message id (\`wa_id\`) is fixed at once: a resend after a crash shows as one message.

Types and their fields: \`text\` (to, text ≤ ${L.textChars}, link_preview, reply_to), \`location\` (to, location), \`contact\` (to, contact: name and phone, or a vCard ≤ ${L.vcardChars}), \`poll\` (to, poll: name, ${L.pollOptions.min}–${L.pollOptions.max} distinct options, selectable_count), \`reaction\` (message_id, emoji), \`edit\` (message_id of a text this device sent less than 15 minutes ago, text), \`delete\` (message_id of a message this device sent: deleted for everyone). \`image\`, \`video\`, \`audio\`, \`voice\` (a voice note: OGG/Opus, sent with its duration and waveform), \`document\` and \`sticker\` (WebP) take \`to\` and \`media\`: exactly one of \`{"url": ...}\` (fetched now: public addresses, no redirects, WUTS_MEDIA_FETCH_TIMEOUT_SECONDS), \`{"data": ...}\` (base64 or a data URL, at most WUTS_INLINE_MEDIA_MAX_BYTES) or \`{"id": ...}\` (a file from POST /media); optional \`mime_type\` (sniffed when absent; a file whose bytes say otherwise is a 400), \`caption\` (image, video, document; ≤ ${L.captionChars}), \`filename\` (document), \`view_once\` (image, video, voice), \`reply_to\`. The 202 comes only once the file is in WUTS's media store, so the queue never depends on the URL still working; a file over its type's limit (WUTS_MAX_IMAGE_BYTES, ...) is a 413. \`reply_to\` quotes a stored message of the same chat. A field that is not part of the type is a 400.

Groups: \`to\` may be a group's JID (\`120363012345678901@g.us\`); every type goes to a group. \`text\`, and \`image\`, \`video\` and \`document\` with a \`caption\`, take \`mentions\` (phone numbers or JIDs, ≤ ${L.mentions}) and, to a group, \`mention_all\` (WhatsApp's @all). A group message keeps each participant's receipt (GET /messages/{id} \`receipts\`, \`message.receipt\` events) and moves to delivered (read) once every participant it went to has; in a group where only admins send, a non-admin's message fails with WhatsApp's refusal as the reason. The answer names the recipient of a one-to-one message as \`recipient\` \`{jid, phone, lid}\` (the LID when known).

\`Idempotency-Key\` (≤ ${L.idempotencyKeyChars} visible ASCII characters): the same key and body within WUTS_IDEMPOTENCY_HOURS answer the first answer again (header \`Idempotent-Replayed: true\`) and create nothing; the same key with another body is a 409. 429 when WUTS_MAX_QUEUED_PER_DEVICE messages already wait.`;

export function registerMessageRoutes(app: App, deps: Deps): void {
  const checkLimit = new actions.CheckNumbersLimit(deps);

  app.post(
    '/devices/:id/messages',
    {
      // an inline file (media.data) is base64: 4 bytes for 3, and 8 KiB for the rest of the body (a caption is at most 4 KiB of UTF-8)
      bodyLimit: Math.max(deps.config.bodyLimitBytes, Math.ceil((deps.config.inlineMediaMaxBytes * 4) / 3) + 8192),
      schema: {
        summary: 'Send a message',
        description: SEND_DESCRIPTION,
        tags,
        security,
        params: IdParams,
        body: S.SendMessageBody,
        response: { 202: S.MessageResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429, 503) },
      },
    },
    async (req, reply) => {
      const key = readIdempotencyKey(req.headers['idempotency-key']);
      const answer = await messages.acceptMessage(deps, await requireActor(deps, req), req.params.id, req.body, key);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ success: true, message: answer.result });
    },
  );

  app.get(
    '/messages/:id',
    {
      schema: {
        summary: 'Get a message',
        description:
          'Every role. With its status history (oldest first); a message sent to a group also with `recipients` (the other participants it went to) and `receipts` (each participant, with phone and LID when known, delivered and read).',
        tags,
        security,
        params: IdParams,
        response: { 200: S.MessageDetailResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => ({ success: true as const, message: await messages.getMessage(deps, await requireActor(deps, req), req.params.id) }),
  );

  app.get(
    '/messages/:id/media',
    {
      schema: {
        summary: "A media message's file",
        description: [
          "Every role of the message's tenant. The file a media message sent or received, once in WUTS's media store (`content.media.state` stored; a received file is `pending` until downloaded, then `message.media` says it is there).",
          'With Content-Type, Content-Length, ETag (`"<sha256>"`) and Content-Disposition. One `Range: bytes=a-b` (also `a-` and `-n`) answers 206 with Content-Range; a range past the end 416.',
          '404 for another tenant’s message, a message without a stored file, or one deleted for everyone.',
        ].join(' '),
        tags,
        security,
        params: IdParams,
        response: {
          ...MEDIA_CONTENT_RESPONSES,
          ...errorResponses(400, 401, 403, 404, 416),
        },
      },
    },
    async (req, reply) => {
      const { media, open } = await messages.messageMedia(deps, await requireActor(deps, req), req.params.id);
      return sendMediaContent(req, reply, media, open);
    },
  );

  app.post(
    '/messages/:id/cancel',
    {
      schema: {
        summary: 'Cancel a queued message',
        description: 'Admins, supervisors and agents. Only while it is `queued` (409 once it left); it ends `cancelled`.',
        tags,
        security,
        params: IdParams,
        response: { 200: S.MessageDetailResponse, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => ({ success: true as const, message: await messages.cancelMessage(deps, await requireActor(deps, req), req.params.id) }),
  );

  app.get(
    '/devices/:id/chats',
    {
      schema: {
        summary: "A device's chats",
        description:
          "Every role. The most recently active first, each with its last message and unread count; keyset paginated. Groups are chats too (`type` group, `name` the group's subject); a user's chat carries its `phone` and `lid` when known, and is one chat whether WhatsApp named the user by LID or by number.",
        tags,
        security,
        params: IdParams,
        querystring: S.ChatListQuery,
        response: { 200: S.ChatListResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const page = await history.listChats(deps, await requireActor(deps, req), req.params.id, req.query);
      return { success: true as const, chats: page.items, next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/devices/:id/chats/:chat/messages',
    {
      schema: {
        summary: "A chat's messages",
        description:
          'Every role. Newest first (`direction=older`, the default) or oldest first (`direction=newer`), keyset paginated on the message id: pages stay stable and fast at any depth. Edits and deletes are applied to the messages they change rather than listed.',
        tags,
        security,
        params: S.ChatParams,
        querystring: S.HistoryQuery,
        response: { 200: S.MessageListResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const page = await history.chatMessages(deps, await requireActor(deps, req), req.params.id, req.params.chat, req.query);
      return { success: true as const, messages: page.items, next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/devices/:id/contacts',
    {
      schema: {
        summary: "A device's contacts",
        description:
          'Every role. People the device exchanged messages with (group participants included) or checked, with their profile names, phone numbers and LIDs when known: one contact per user, keyed by the phone-number JID once known.',
        tags,
        security,
        params: IdParams,
        querystring: S.ChatListQuery,
        response: { 200: S.ContactListResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const page = await history.listContacts(deps, await requireActor(deps, req), req.params.id, req.query);
      return { success: true as const, contacts: page.items, next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/devices/:id/read',
    {
      schema: {
        summary: 'Mark messages read',
        description: `Admins, supervisors and agents. Marks a chat's received messages read (all, or at most ${L.readIds} named) and sends read receipts (in a group, each naming the participant who sent the message). 409 when the device is not connected.`,
        tags,
        security,
        params: IdParams,
        body: S.ReadBody,
        response: { 200: S.ReadResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req) => ({ success: true as const, read: await actions.markRead(deps, await requireActor(deps, req), req.params.id, req.body) }),
  );

  app.post(
    '/devices/:id/check-numbers',
    {
      schema: {
        summary: 'Which numbers are on WhatsApp',
        description: `Admins, supervisors and agents. At most ${L.checkNumbers} numbers per call and WUTS_CHECK_NUMBERS_PER_MINUTE calls per device per minute (429). 409 when the device is not connected.`,
        tags,
        security,
        params: IdParams,
        body: S.CheckNumbersBody,
        response: { 200: S.CheckNumbersResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409, 429) },
      },
    },
    async (req) => {
      const results = await actions.checkNumbers(deps, checkLimit, await requireActor(deps, req), req.params.id, req.body.numbers);
      return { success: true as const, numbers: results.map((r) => ({ number: r.phone, on_whatsapp: r.on_whatsapp, jid: r.jid, lid: r.lid ?? null })) };
    },
  );

  app.post(
    '/devices/:id/presence',
    {
      schema: {
        summary: 'Show typing, recording or online',
        description:
          'Admins, supervisors and agents. typing, recording and paused to one chat; available and unavailable for the account. 409 when the device is not connected.',
        tags,
        security,
        params: IdParams,
        body: S.PresenceBody,
        response: { 200: SuccessOnly, ...errorResponses(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      await actions.sendPresence(deps, await requireActor(deps, req), req.params.id, req.body);
      return { success: true as const };
    },
  );

  app.put(
    '/devices/:id/send-interval',
    {
      schema: {
        summary: "Set a device's pace of sending",
        description: 'Admins. Milliseconds between two sends of this device (jittered by WUTS_SEND_JITTER_PERCENT); null returns to WUTS_SEND_INTERVAL_MS.',
        tags: ['devices'],
        security,
        params: IdParams,
        body: S.SendIntervalBody,
        response: { 200: S.SendIntervalResponse, ...errorResponses(...BODY_ERRORS, 401, 403, 404) },
      },
    },
    async (req) => ({
      success: true as const,
      ...(await messages.setSendInterval(deps, await requireActor(deps, req), req.params.id, req.body.send_interval_ms)),
    }),
  );
}
