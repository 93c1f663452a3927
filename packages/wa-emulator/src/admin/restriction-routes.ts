import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { BadRequestError } from '../errors.js';
import type { AccountRecord } from '../model.js';
import { activeTimelock, setTimelock } from '../restrictions/reachout-timelock.js';
import type { EmulatorService } from '../service.js';
import { ReachoutTimelockView, SetTimelockBody } from './restriction-schemas.js';
import * as S from './schemas.js';
import { ok } from './views.js';

const LiftQuery = Type.Object({ notify: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const Answer = Type.Object({ success: Type.Literal(true), timelock: ReachoutTimelockView });

function view(account: AccountRecord): Static<typeof ReachoutTimelockView> {
  const lock = activeTimelock(account);
  return lock
    ? { active: true, until: new Date(lock.until * 1000).toISOString(), enforcement_type: lock.enforcementType }
    : { active: false, until: null, enforcement_type: null };
}

/** WhatsApp's reach-out time-lock on an account: set with an end, lift, read. */
export function restrictionRoutes(app: FastifyInstance, service: EmulatorService): void {
  const tags = ['emulator accounts'];
  const errors = { 400: S.ErrorBody, 404: S.ErrorBody };
  const path = '/admin/accounts/:phone/reachout-timelock';
  app.get<{ Params: { phone: string } }>(
    path,
    { schema: { tags, summary: "The account's reach-out time-lock", params: S.PhoneParams, response: { 200: Answer, ...errors } } },
    async (req) => ok({ timelock: view(service.account(req.params.phone)) }),
  );
  app.put<{ Params: { phone: string }; Body: Static<typeof SetTimelockBody> }>(
    path,
    {
      schema: {
        tags,
        summary: 'Put the account under a reach-out time-lock until a given time',
        description:
          'While it holds, the account’s one-to-one messages to users it never exchanged a message with are refused with ack error 463 (Baileys: SenderReachoutTimelocked); messages to its existing chats and to groups are delivered. ' +
          'Its connected devices get a `mex` notification NotificationUserReachoutTimelockUpdate (unless notify is false), and the `w:mex` query behind Baileys’ fetchAccountReachoutTimelock answers the lock. It ends by itself at `until`.',
        params: S.PhoneParams,
        body: SetTimelockBody,
        response: { 200: Answer, ...errors },
      },
    },
    async (req) => {
      const account = service.account(req.params.phone);
      const until = Date.parse(req.body.until);
      if (!(until > Date.now())) throw new BadRequestError('until_not_in_future', '`until` must be a time in the future');
      const lock = { until: Math.ceil(until / 1000), enforcementType: req.body.enforcement_type ?? 'DEFAULT' };
      setTimelock(service.hub, account, lock, req.body.notify ?? true);
      return ok({ timelock: view(account) });
    },
  );
  app.delete<{ Params: { phone: string }; Querystring: Static<typeof LiftQuery> }>(
    path,
    {
      schema: {
        tags,
        summary: 'Lift the account’s reach-out time-lock',
        description: 'Its connected devices get the notification that the lock was lifted (unless ?notify=false).',
        params: S.PhoneParams,
        querystring: LiftQuery,
        response: { 200: Answer, ...errors },
      },
    },
    async (req) => {
      const account = service.account(req.params.phone);
      setTimelock(service.hub, account, undefined, req.query.notify ?? true);
      return ok({ timelock: view(account) });
    },
  );
}
