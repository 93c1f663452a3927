import type { DisconnectKind } from '../whatsapp/provider.js';
import type { DeviceStatus } from '../db/schema.js';

export interface ClosedState {
  status: Extract<DeviceStatus, 'disconnected' | 'logged_out' | 'failed'>;
  reason: string;
  /** Whether WUTS keeps reconnecting it (and reconnects it at start). */
  autoConnect: boolean;
  event: 'device.disconnected' | 'device.logged_out' | null;
}

/** What the supervisor knows about the connection when it ends. */
export interface ConnectionEnd {
  /** Whether it had opened (so its loss is a `device.disconnected`). */
  connected: boolean;
  /** Set when WUTS itself ended it: a logout by request reads differently from an unlink on the phone. */
  ending: 'stop' | 'logout' | null;
}

/** The device's state after a close, and whether to reconnect and forget the session; null when nothing is recorded. */
export type ClosedOutcome = ClosedState & { retry: boolean; clearSession: boolean };

/** How each way a connection can end is recorded, and whether WUTS reconnects. */
export function closedState(kind: DisconnectKind, message: string, entry: ConnectionEnd): ClosedOutcome | null {
  const lost = entry.connected ? 'device.disconnected' : null;
  switch (kind) {
    case 'closed_by_us':
    case 'restart_required':
      return null;
    case 'logged_out':
      return {
        status: 'logged_out',
        reason: entry.ending === 'logout' ? 'logged out by request' : 'unlinked from the phone',
        autoConnect: false,
        event: 'device.logged_out',
        retry: false,
        clearSession: true,
      };
    case 'bad_session':
      return {
        status: 'logged_out',
        reason: 'the session is no longer valid: link the device again',
        autoConnect: false,
        event: 'device.logged_out',
        retry: false,
        clearSession: true,
      };
    case 'forbidden':
      return {
        status: 'failed',
        reason: 'WhatsApp refused the connection (403)',
        autoConnect: false,
        event: 'device.disconnected',
        retry: false,
        clearSession: false,
      };
    case 'client_outdated':
      return {
        status: 'failed',
        reason: 'WhatsApp refused this client version (405)',
        autoConnect: false,
        event: 'device.disconnected',
        retry: false,
        clearSession: false,
      };
    case 'connection_replaced':
      return {
        status: 'disconnected',
        reason: 'connection replaced: another client took this session (440)',
        autoConnect: false,
        event: 'device.disconnected',
        retry: false,
        clearSession: false,
      };
    case 'qr_expired':
      return {
        status: 'disconnected',
        reason: 'qr_expired: no QR code was scanned in time; connect again for a new one',
        autoConnect: false,
        event: lost,
        retry: false,
        clearSession: false,
      };
    case 'transient':
      return { status: 'disconnected', reason: `connection lost: ${message}`.slice(0, 300), autoConnect: true, event: lost, retry: true, clearSession: false };
  }
}
