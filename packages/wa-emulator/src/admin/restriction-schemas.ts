import { Type } from 'typebox';

export const ReachoutTimelockView = Type.Object(
  {
    active: Type.Boolean({ description: 'whether the lock holds now (it ends by itself at `until`)' }),
    until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    enforcement_type: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const SetTimelockBody = Type.Object(
  {
    until: Type.String({ format: 'date-time', description: 'when the lock ends (RFC 3339, in the future)' }),
    enforcement_type: Type.Optional(
      Type.String({ pattern: '^[A-Z_]{1,64}$', description: "WhatsApp's enforcement type: DEFAULT (the default), BIZ_QUALITY, WEB_COMPANION_ONLY, ..." }),
    ),
    notify: Type.Optional(
      Type.Boolean({
        description:
          "true (the default): the account's connected devices get the time-lock notification at once; false: they learn it only from a refused message (463) and their query",
      }),
    ),
  },
  { additionalProperties: false },
);
