import { Type } from 'typebox';
import { LIMITS } from '../model.js';
import { Phone } from './schemas.js';

const Label = (description: string) => Type.String({ minLength: 1, maxLength: LIMITS.labelChars, description });

export const Location = Type.Object(
  {
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
    name: Type.Optional(Label('name of the place')),
    address: Type.Optional(Label('address of the place')),
  },
  { additionalProperties: false },
);

export const Contact = Type.Object(
  {
    name: Label('display name of the contact card'),
    vcard: Type.String({ minLength: 1, maxLength: LIMITS.vcardChars, description: 'the vCard text (BEGIN:VCARD ... END:VCARD)' }),
  },
  { additionalProperties: false },
);

const PollName = Type.String({ minLength: 1, maxLength: LIMITS.pollNameChars, description: 'the question' });
const PollOption = Type.String({ minLength: 1, maxLength: LIMITS.pollOptionChars });

export const PollInput = Type.Object(
  {
    name: PollName,
    options: Type.Array(PollOption, { minItems: 2, maxItems: LIMITS.pollOptions, description: 'option names, distinct' }),
    selectable_count: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: LIMITS.pollOptions,
        default: 1,
        description: 'how many options a voter may pick; 0 = any number; at most the number of options; default 1',
      }),
    ),
  },
  { additionalProperties: false },
);

const Base64 = (description: string, maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9+/_-]*={0,2}$', description });
const MEDIA_TYPES = ['image', 'video', 'audio', 'voice', 'document', 'sticker'] as const;

export const SendBody = Type.Object(
  {
    to: Type.String({ minLength: 6, maxLength: 100, description: 'recipient phone digits, or a jid (…@s.whatsapp.net or …@lid)' }),
    type: Type.Optional(
      Type.Union(
        ['text', 'location', 'contact', 'poll', ...MEDIA_TYPES].map((t) => Type.Literal(t)),
        {
          default: 'text',
          description:
            'what to send; the field of the same name (text, location, contact, poll) is required, the others are refused. ' +
            'image, video, audio, voice (a push-to-talk voice note: audio/ogg; codecs=opus), document and sticker (image/webp) take `media` and the media fields each allows',
        },
      ),
    ),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.textChars })),
    location: Type.Optional(Location),
    contact: Type.Optional(Contact),
    poll: Type.Optional(PollInput),
    media: Type.Optional(
      Type.Object(
        {
          data: Type.String({
            minLength: 1,
            maxLength: Math.ceil(LIMITS.sendMediaBytes / 3) * 4,
            description: `the file, base64 (at most ${LIMITS.sendMediaBytes} bytes decoded)`,
          }),
        },
        { additionalProperties: false, description: 'media types only: the file the phone encrypts, uploads to the media host and sends' },
      ),
    ),
    mime_type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.labelChars,
        description: 'media: default image/jpeg, video/mp4, audio/ogg; codecs=opus (audio, voice), application/octet-stream (document), image/webp (sticker)',
      }),
    ),
    caption: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.textChars, description: 'image, video, document' })),
    filename: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.labelChars, description: 'document (default "file")' })),
    view_once: Type.Optional(Type.Boolean({ description: 'image, video, voice: sent as view once' })),
    seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, description: 'video, audio, voice: the duration declared' })),
    waveform: Type.Optional(Base64('voice: the waveform declared (64 samples of 0-100), base64', 1_024)),
    thumbnail: Type.Optional(
      Base64(
        'image, video: a small JPEG preview, base64; without it Baileys makes one only when sharp or jimp (ffmpeg for videos) can read the file',
        128 * 1024,
      ),
    ),
    quoted_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.messageIdChars,
        description: 'WhatsApp id of a message this account received or sent in this chat: the new message replies to it',
      }),
    ),
    unchecked_quoted_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.messageIdChars,
        description:
          'for testing how a client handles hostile peers: the new message quotes this id exactly as given (contextInfo.stanzaId; any characters, NUL included), ' +
          'without looking it up; not with quoted_id',
      }),
    ),
    unchecked_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.messageIdChars,
        description: 'for testing how a client handles hostile peers: the WhatsApp id of the new message, exactly as given (any characters, NUL included)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MessageIdParams = Type.Object({
  phone: Phone,
  id: Type.String({ minLength: 1, maxLength: LIMITS.messageIdChars, description: 'WhatsApp message id' }),
});
export const ReactBody = Type.Object(
  { emoji: Type.String({ maxLength: LIMITS.emojiChars, description: 'the reaction; an empty string removes this account’s reaction' }) },
  { additionalProperties: false },
);
export const EditBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: LIMITS.textChars, description: 'the new text' }) },
  { additionalProperties: false },
);
export const VoteBody = Type.Object(
  { options: Type.Array(PollOption, { maxItems: LIMITS.pollOptions, description: 'names of the options voted for; an empty list withdraws the vote' }) },
  { additionalProperties: false },
);

const Reaction = Type.Object({ from: Type.String({ description: 'phone number of who reacted' }), emoji: Type.String(), at: Type.String() });
const Vote = Type.Object({
  from: Type.String({ description: 'phone number of the voter' }),
  options: Type.Array(Type.String(), { description: 'option names; empty = vote withdrawn' }),
  at: Type.String(),
});

export const Media = Type.Object({
  mime_type: Type.Union([Type.String(), Type.Null()]),
  size: Type.Integer({ description: 'bytes: of the file sent or decrypted; as the message declares (fileLength) before the download' }),
  sha256: Type.Optional(Type.String({ description: 'hex SHA-256 of the bytes the account sent or downloaded and decrypted' })),
  file_sha256: Type.Optional(Type.String({ description: 'hex fileSha256 as the message declares it' })),
  filename: Type.Optional(Type.String()),
  caption: Type.Optional(Type.String()),
  ptt: Type.Optional(Type.Boolean({ description: 'audio: a push-to-talk voice note' })),
  seconds: Type.Optional(Type.Integer()),
  view_once: Type.Boolean(),
  direct_path: Type.Optional(Type.String({ description: 'where the encrypted blob is on the media host' })),
  thumbnail_bytes: Type.Optional(Type.Integer({ description: 'received: size of the JPEG thumbnail the message carries' })),
  waveform: Type.Optional(Type.String({ description: "received voice notes: the waveform's bars, base64" })),
  width: Type.Optional(Type.Integer({ description: 'received images and videos: as the message declares' })),
  height: Type.Optional(Type.Integer()),
  state: Type.Union(
    ['uploaded', 'downloading', 'downloaded', 'failed'].map((s) => Type.Literal(s)),
    {
      description: 'sent: uploaded (or failed); received: downloading, then downloaded (GET .../messages/{id}/media answers the bytes) or failed (error)',
    },
  ),
  error: Type.Optional(Type.String()),
});

export const ExpireMediaBody = Type.Object(
  {
    direct_path: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1_000, description: 'a direct path (or media URL) the media host answered an upload with' }),
    ),
    phone: Type.Optional(Phone),
    message_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: LIMITS.messageIdChars, description: 'with phone: a media message that account sent or received' }),
    ),
  },
  { additionalProperties: false },
);

/** What received and sent records both show. */
const BodyFields = {
  type: Type.String({
    description:
      'text, location, contact, poll, reaction, image, video, audio, voice, document, sticker, or the WhatsApp proto name of anything else (buttonsMessage, ...)',
  }),
  text: Type.Union([Type.String(), Type.Null()], { description: 'text or caption (or the emoji of a reaction kept as a message); null when none or deleted' }),
  location: Type.Optional(
    Type.Object({ latitude: Type.Number(), longitude: Type.Number(), name: Type.Optional(Type.String()), address: Type.Optional(Type.String()) }),
  ),
  contact: Type.Optional(Type.Object({ name: Type.String(), vcard: Type.String() })),
  poll: Type.Optional(
    Type.Object({ name: Type.String(), options: Type.Array(Type.String()), selectable_count: Type.Integer({ description: '0 = any number' }) }),
  ),
  media: Type.Optional(Media),
  quoted_id: Type.Optional(Type.String({ description: 'id of the message this one replies to' })),
  mentions: Type.Optional(Type.Array(Type.String(), { description: 'phone numbers the message mentions (contextInfo.mentionedJid)' })),
  mention_all: Type.Optional(Type.Boolean({ description: 'the message mentions everyone in the group (contextInfo.nonJidMentions, @all)' })),
  target_id: Type.Optional(Type.String({ description: 'a reaction whose target this account does not have: the id it points at' })),
  edited: Type.Boolean({ description: 'the text was edited by its author' }),
  deleted: Type.Boolean({ description: 'deleted for everyone by its author: the content is gone' }),
  reactions: Type.Array(Reaction, { description: `one per person (this account included), at most ${LIMITS.reactionsPerMessage}` }),
  votes: Type.Optional(Type.Array(Vote, { description: `polls only: the latest vote per voter (this account included), at most ${LIMITS.votesPerPoll}` })),
};

export const Received = Type.Object({
  id: Type.String(),
  from: Type.String({ description: 'sender phone number (in a group: the participant who sent it)' }),
  from_jid: Type.String(),
  group: Type.Optional(Type.String({ description: 'a group message: the group jid' })),
  ...BodyFields,
  timestamp: Type.String(),
  read: Type.Boolean(),
});

export const Sent = Type.Object({
  id: Type.String(),
  to: Type.String(),
  to_jid: Type.String(),
  ...BodyFields,
  receipts: Type.Optional(
    Type.Array(Type.Object({ phone: Type.String(), delivered_at: Type.Optional(Type.String()), read_at: Type.Optional(Type.String()) }), {
      description: 'a group message: one per other participant at the time it was sent, with its receipts',
    }),
  ),
  status: Type.Union(
    ['pending', 'sent', 'delivered', 'read', 'played', 'failed'].map((s) => Type.Literal(s)),
    {
      description: 'in a group: delivered (read) once every participant’s receipt came; failed with error when the server refused it',
    },
  ),
  timestamp: Type.String(),
  updated_at: Type.String(),
  error: Type.Optional(Type.String()),
});

export const ActionAnswer = Type.Object({
  success: Type.Literal(true),
  action_id: Type.String({ description: 'WhatsApp id of the reaction, edit, delete or vote message the phone sent' }),
  direction: Type.Union([Type.Literal('sent'), Type.Literal('received')], { description: 'whether the target is a message this account sent or received' }),
  message: Type.Union([Sent, Received], { description: 'the target message as it now stands' }),
});
