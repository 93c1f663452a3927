import type { ConnectionState, NewChatMessageCapInfo, WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { SessionEvents } from '../provider.js';
import { accountRestrictedReason, type RestrictionReport } from '../restrictions.js';

type TimelockState = NonNullable<ConnectionState['reachoutTimeLock']>;

/** WhatsApp's capping status that stops messages to new chats (the others are warnings). */
const CAPPED = 'CAPPED';

/** A time-lock as Baileys reports it (notification, or the answer to its query), in WUTS's terms. */
export function timelockReport(state: TimelockState): RestrictionReport {
  const until = state.timeEnforcementEnds instanceof Date && !Number.isNaN(state.timeEnforcementEnds.getTime()) ? state.timeEnforcementEnds : null;
  return { kind: 'reachout_timelock', active: !!state.isActive, until, detail: state.enforcementType ?? null };
}

/** The new-chat cap as Baileys reports it: a restriction only once CAPPED, until the cycle ends. */
export function capReport(info: NewChatMessageCapInfo): RestrictionReport {
  const end = Number(info.cycle_end_timestamp);
  const until = Number.isFinite(end) && end > 0 ? new Date(end * 1000) : null;
  const usage = info.total_quota === undefined ? null : `${info.used_quota ?? 0}/${info.total_quota} messages to new chats`;
  return { kind: 'new_chat_cap', active: info.capping_status === CAPPED, until, detail: usage };
}

/**
 * Follows the account's restrictions through Baileys: the time-lock notification and query
 * (both surface as connection.update reachoutTimeLock) and the cap notification. Re-reads the
 * time-lock at each login and after a refusal 463 (Baileys itself does not: its 463 branch only
 * renews privacy tokens).
 */
export class RestrictionWatch {
  private timelock: RestrictionReport | null = null;

  constructor(
    private readonly socket: WASocket,
    private readonly events: SessionEvents,
    private readonly logger: Logger,
  ) {
    socket.ev.on('connection.update', (update) => {
      if (update.reachoutTimeLock) this.report(timelockReport(update.reachoutTimeLock));
      if (update.connection === 'open') this.refresh();
    });
    socket.ev.on('message-capping.update', (info) => this.report(capReport(info)));
  }

  /** Asks WhatsApp for the time-lock now; the answer arrives as connection.update. */
  refresh(): void {
    this.socket.fetchAccountReachoutTimelock().catch((err: unknown) => this.logger.warn({ err }, 'reading the reach-out time-lock failed'));
  }

  /** Why a message to a new chat was refused (463), naming until when when the time-lock is known. */
  refusalReason(): string {
    const lock = this.timelock;
    return accountRestrictedReason(lock?.active && (lock.until === null || lock.until.getTime() > Date.now()) ? lock : null);
  }

  private report(report: RestrictionReport): void {
    if (report.kind === 'reachout_timelock') this.timelock = report;
    try {
      this.events.onRestriction?.(report);
    } catch (err) {
      this.logger.error({ err }, 'a restriction handler threw');
    }
  }
}
