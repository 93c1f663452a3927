/**
 * WhatsApp's restrictions on what an account may do, in WUTS's terms. A reach-out time-lock
 * forbids starting new one-to-one chats until it ends; the new-chat cap does the same once the
 * account used up its monthly quota of messages to new chats. Chats it already has go on.
 */

export type RestrictionKind = 'reachout_timelock' | 'new_chat_cap';

/** What the session learned: a restriction set (active) or lifted. */
export interface RestrictionReport {
  kind: RestrictionKind;
  active: boolean;
  /** when it ends by itself; null: not said */
  until: Date | null;
  /** WhatsApp's own word: the time-lock's enforcement type (BIZ_QUALITY, ...) or the cap's usage */
  detail: string | null;
}

const KIND_TEXT: Record<RestrictionKind, string> = {
  reachout_timelock: 'reach-out time-lock',
  new_chat_cap: 'new-chat message cap',
};

/** The documented failure reason of a message to a new chat while the account is restricted (prefix `account_restricted`). */
export function accountRestrictedReason(restriction: { kind: RestrictionKind; until: Date | string | null } | null): string {
  const existing = 'chats it already has still work';
  if (!restriction) return `account_restricted: WhatsApp refused a message to a new chat: this account may not start new chats for now (463); ${existing}`;
  const until = restriction.until === null ? 'for now' : `until ${new Date(restriction.until).toISOString().replace(/\.000Z$/, 'Z')}`;
  return `account_restricted: WhatsApp does not let this account start new chats ${until} (${KIND_TEXT[restriction.kind]}); ${existing}`;
}
