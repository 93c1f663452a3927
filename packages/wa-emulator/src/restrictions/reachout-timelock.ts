import { randomBytes } from 'node:crypto';
import type { BinaryNode } from '../baileys.js';
import type { AccountRecord, ReachoutTimelock } from '../model.js';
import type { Hub } from '../wire/hub.js';
import { SERVER_JID, unixNow } from '../wire/nodes.js';

/**
 * WhatsApp's reach-out time-lock: a restricted account may not start new one-to-one chats until
 * the lock ends; chats it already has go on. Baileys 7.0.0-rc14 learns of it three ways, all
 * served here: a refused message (ack error 463), a `mex` notification, and a `w:mex` query.
 */

/** The ack error WhatsApp refuses a restricted account's message to a new chat with (Baileys: SenderReachoutTimelocked). */
export const REACHOUT_TIMELOCKED_ERROR = '463';

/** The notification's op_name, and the JSON path Baileys reads its payload from. */
const NOTIFY_OP = 'NotificationUserReachoutTimelockUpdate';
const NOTIFY_PATH = 'xwa2_notify_account_reachout_timelock';

/** The lock in force now, if any: one whose end has passed no longer holds. */
export function activeTimelock(account: AccountRecord, nowMs = Date.now()): ReachoutTimelock | undefined {
  const lock = account.reachoutTimelock;
  return lock && lock.until * 1000 > nowMs ? lock : undefined;
}

export function hasChatWith(account: AccountRecord, peer: AccountRecord): boolean {
  return account === peer || (account.chatsWith?.includes(peer.phone) ?? false);
}

/** A one-to-one message went between the two: each now has a chat with the other. */
export function rememberChat(hub: Hub, a: AccountRecord, b: AccountRecord): void {
  if (a === b || hasChatWith(a, b)) return;
  (a.chatsWith ??= []).push(b.phone);
  if (!hasChatWith(b, a)) (b.chatsWith ??= []).push(a.phone);
  hub.saver.markDirty();
}

/** The lock's state as WhatsApp's GraphQL answers carry it (time_enforcement_ends: unix seconds, as a string). */
export function timelockPayload(account: AccountRecord): Record<string, unknown> {
  const lock = activeTimelock(account);
  return lock
    ? { is_active: true, time_enforcement_ends: String(lock.until), enforcement_type: lock.enforcementType }
    : { is_active: false, time_enforcement_ends: '0', enforcement_type: 'DEFAULT' };
}

/** Sets (a lock) or lifts (undefined) the account's time-lock; `notify` tells its connected devices at once. */
export function setTimelock(hub: Hub, account: AccountRecord, lock: ReachoutTimelock | undefined, notify: boolean): void {
  if (lock) account.reachoutTimelock = lock;
  else delete account.reachoutTimelock;
  hub.saver.markDirty();
  if (notify) notifyTimelock(hub, account);
}

/**
 * `<notification type="mex" from="s.whatsapp.net"><update op_name=...>{"data":{...}}</update>`
 * to the account's connected devices; one offline reads the lock when it connects (the query).
 */
function notifyTimelock(hub: Hub, account: AccountRecord): void {
  const json = JSON.stringify({ data: { [NOTIFY_PATH]: timelockPayload(account) } });
  for (const session of hub.onlineSessions(account)) {
    const node: BinaryNode = {
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'mex', id: randomBytes(8).toString('hex').toUpperCase(), t: unixNow() },
      content: [{ tag: 'update', attrs: { op_name: NOTIFY_OP }, content: Buffer.from(json, 'utf8') }],
    };
    hub.deliver(account, session.deviceId!, node);
  }
  hub.logger.debug({ account: account.phone, lock: account.reachoutTimelock }, 'reach-out time-lock notification');
}
