import type { BinaryNode } from '../baileys.js';
import type { IqRoutes } from '../wire/iq-handlers.js';
import { bytes, iqError, iqResult } from '../wire/nodes.js';
import type { WireSession } from '../wire/session.js';
import { timelockPayload } from './reachout-timelock.js';

/** Baileys' query ids (Types/Mex: QueryIds) and the data path each answer is read from. */
const REACHOUT_TIMELOCK_QUERY = '23983697327930364';
const MESSAGE_CAPPING_QUERY = '24503548349331633';

/** The new-chat message cap: the emulator caps nobody. */
const NO_CAP = { capping_status: 'NONE', ote_status: 'NOT_ELIGIBLE', mv_status: 'NOT_ELIGIBLE' };

/**
 * `<iq xmlns="w:mex" type="get"><query query_id=...>{"variables":{...}}</query>`: WhatsApp's
 * GraphQL over the socket. Answered with `<result>{"data":{<path>: ...}}</result>`.
 */
export function mexIqRoutes(): IqRoutes {
  return { 'w:mex get query': { handle: answerMex } };
}

function answerMex(session: WireSession, iq: BinaryNode): BinaryNode {
  const query = Array.isArray(iq.content) ? iq.content.find((c) => c.tag === 'query') : undefined;
  const account = session.account;
  if (!query || !account || !bytes(query)) return iqError(iq, 400, 'bad-request');
  let data: Record<string, unknown>;
  switch (query.attrs.query_id) {
    case REACHOUT_TIMELOCK_QUERY:
      data = { xwa2_fetch_account_reachout_timelock: timelockPayload(account) };
      break;
    case MESSAGE_CAPPING_QUERY:
      data = { xwa2_message_capping_info: NO_CAP };
      break;
    default:
      return iqError(iq, 501, 'feature-not-implemented');
  }
  return iqResult(iq, [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify({ data }), 'utf8') }]);
}
