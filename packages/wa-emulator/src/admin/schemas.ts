import { Type } from 'typebox';

export const ErrorBody = Type.Object({ success: Type.Literal(false), error: Type.String(), code: Type.String() });

export const Phone = Type.String({ pattern: '^[1-9][0-9]{5,14}$', description: 'phone number, digits only (6 to 15), no leading 0 or +' });

export const Account = Type.Object({
  phone: Type.String(),
  name: Type.String(),
  jid: Type.String({ description: 'phone-number jid, e.g. 15550001111@s.whatsapp.net' }),
  lid: Type.String({ description: 'LID jid of the account, e.g. 123456789@lid' }),
  created_at: Type.String(),
  linked_devices: Type.Integer({ description: 'companion devices linked (the phone, device 0, not counted)' }),
  phone_online: Type.Boolean({ description: "the account's own phone client is connected" }),
});

export const Device = Type.Object({
  id: Type.Integer({ description: '0 is the phone; companions from 1' }),
  kind: Type.Union([Type.Literal('phone'), Type.Literal('companion')]),
  jid: Type.String(),
  lid: Type.String(),
  platform: Type.String(),
  linked_at: Type.String(),
  online: Type.Boolean(),
  queued: Type.Integer({ description: 'stanzas waiting for this device (delivered at its next login)' }),
  pre_keys: Type.Integer(),
});

export const QueuedStanza = Type.Object({
  tag: Type.String({ description: 'message, receipt, notification...' }),
  id: Type.String(),
  from: Type.String({ description: 'the sender as the stanza names it (a device jid for messages)' }),
  type: Type.Optional(Type.String({ description: "the stanza's type attribute (text, read, devices...)" })),
  queued_at: Type.String(),
  age_ms: Type.Integer({ description: 'how long it has been waiting' }),
  nack: Type.Optional(Type.String({ description: 'the error code of the last NACK the device answered it with (500, 487...)' })),
});

export const DeviceConnections = Type.Object({
  phone: Type.String(),
  device: Type.Integer({ description: 'the companion device id (from 1)' }),
  jid: Type.String(),
  linked: Type.Boolean({ description: 'false: unlinked since it was counted' }),
  online: Type.Boolean({ description: 'a logged-in connection is attached now' }),
  logins: Type.Integer({ description: 'logged-in connections attached since the emulator started or the last reset' }),
  replaced: Type.Integer({
    description: 'connections closed because a newer login of the same device replaced them (<conflict type="replaced"/>, which Baileys reports as 440)',
  }),
});

export const ConnectionTotals = Type.Object({
  devices: Type.Integer(),
  online: Type.Integer(),
  logins: Type.Integer(),
  replaced: Type.Integer(),
});

export const TrafficItem = Type.Object({
  at: Type.String(),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  peer: Type.String(),
  tag: Type.String(),
  attrs: Type.Record(Type.String(), Type.String()),
  child: Type.Optional(Type.String()),
});

export const CreateAccountBody = Type.Object(
  {
    phone: Phone,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    start_phone: Type.Optional(
      Type.Boolean({
        description:
          "default true: the account's phone client (a Baileys client, device 0) connects now and the answer waits for it. " +
          'false: it starts at its first use (a send, a read, a group action); until then the account has no device 0, only the companions linked to it.',
      }),
    ),
  },
  { additionalProperties: false },
);
export const LinkBody = Type.Object(
  { qr: Type.String({ minLength: 10, maxLength: 1000, description: 'the QR text the device shows (Baileys: connection.update qr)' }), phone: Phone },
  { additionalProperties: false },
);
export const PairBody = Type.Object(
  {
    phone: Phone,
    code: Type.String({
      pattern: '^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$',
      description: 'the 8-character pairing code the device shows (Baileys: requestPairingCode), with or without the dash; typed upper case',
    }),
  },
  { additionalProperties: false },
);
export const ReadBody = Type.Object(
  { ids: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 500, description: 'message ids; all unread when absent' })) },
  { additionalProperties: false },
);
export const PhoneParams = Type.Object({ phone: Phone });
export const DeviceParams = Type.Object({ phone: Phone, device: Type.Integer({ minimum: 0, maximum: 1000 }) });
export const LimitQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }, { additionalProperties: false });
