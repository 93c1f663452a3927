import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { EmulatorService } from '../service.js';
import * as S from './schemas.js';
import { ok } from './views.js';

const HiddenBody = Type.Object(
  {
    hidden: Type.Boolean({ description: 'true: LID-addressed messages of the account carry its LID only; false: its phone number rides along (the default)' }),
  },
  { additionalProperties: false },
);
const HiddenAnswer = Type.Object({ success: Type.Literal(true), hidden: Type.Boolean() });

/** Whether an account shows its phone number beside its LID: how a client learns a user first by LID and later by number. */
export function identityRoutes(app: FastifyInstance, service: EmulatorService): void {
  const errors = { 400: S.ErrorBody, 404: S.ErrorBody };
  app.get<{ Params: { phone: string } }>(
    '/admin/accounts/:phone/phone-number-privacy',
    {
      schema: {
        tags: ['emulator accounts'],
        summary: 'Whether the account hides its phone number in LID-addressed chats and groups',
        params: S.PhoneParams,
        response: { 200: HiddenAnswer, ...errors },
      },
    },
    async (req) => ok({ hidden: service.account(req.params.phone).hidesPhoneNumber === true }),
  );
  app.put<{ Params: { phone: string }; Body: { hidden: boolean } }>(
    '/admin/accounts/:phone/phone-number-privacy',
    {
      schema: {
        tags: ['emulator accounts'],
        summary: 'Hide or show the account’s phone number in LID-addressed chats and groups',
        description:
          'Hidden: a message the account sends to a LID (or in a LID-addressed group) names it by LID only, without `sender_pn` (`participant_pn`), so the receiver knows the LID and not the number. Messages to phone-number JIDs still carry the number, as WhatsApp’s.',
        params: S.PhoneParams,
        body: HiddenBody,
        response: { 200: HiddenAnswer, ...errors },
      },
    },
    async (req) => {
      const account = service.account(req.params.phone);
      if (req.body.hidden) account.hidesPhoneNumber = true;
      else delete account.hidesPhoneNumber;
      service.hub.saver.markDirty();
      return ok({ hidden: req.body.hidden });
    },
  );
}
