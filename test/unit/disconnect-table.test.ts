import { describe, expect, it } from 'vitest';
import { closedState, type ClosedOutcome, type ConnectionEnd } from '../../src/devices/disconnect-table.js';
import type { DisconnectKind } from '../../src/whatsapp/provider.js';

// How each way a connection ends is recorded on the device, which event announces it, and
// whether WUTS reconnects (README "Devices"): an unlink or a void session is logged_out and
// forgets the session; a refusal by WhatsApp (403, 405) is failed; a replaced connection or
// an expired QR stays disconnected until someone connects again; a lost connection is
// disconnected and retried. `device.disconnected` is sent for the loss of an open connection
// (and always for refusals and replacements); a connection closed by WUTS itself, or restarted
// at WhatsApp's request, records nothing.

type Kind = DisconnectKind;
const KINDS: readonly Kind[] = [
  'restart_required',
  'logged_out',
  'forbidden',
  'connection_replaced',
  'qr_expired',
  'bad_session',
  'client_outdated',
  'closed_by_us',
  'transient',
];
const ENDINGS: readonly ConnectionEnd['ending'][] = [null, 'stop', 'logout'];

const MESSAGE = 'Connection Terminated';

function expected(kind: Kind, end: ConnectionEnd): ClosedOutcome | null {
  const lost = end.connected ? 'device.disconnected' : null;
  const keep = { autoConnect: false, retry: false, clearSession: false };
  switch (kind) {
    case 'closed_by_us':
    case 'restart_required':
      return null;
    case 'logged_out':
      return {
        status: 'logged_out',
        reason: end.ending === 'logout' ? 'logged out by request' : 'unlinked from the phone',
        event: 'device.logged_out',
        autoConnect: false,
        retry: false,
        clearSession: true,
      };
    case 'bad_session':
      return {
        status: 'logged_out',
        reason: 'the session is no longer valid: link the device again',
        event: 'device.logged_out',
        autoConnect: false,
        retry: false,
        clearSession: true,
      };
    case 'forbidden':
      return { status: 'failed', reason: 'WhatsApp refused the connection (403)', event: 'device.disconnected', ...keep };
    case 'client_outdated':
      return { status: 'failed', reason: 'WhatsApp refused this client version (405)', event: 'device.disconnected', ...keep };
    case 'connection_replaced':
      return { status: 'disconnected', reason: 'connection replaced: another client took this session (440)', event: 'device.disconnected', ...keep };
    case 'qr_expired':
      return { status: 'disconnected', reason: 'qr_expired: no QR code was scanned in time; connect again for a new one', event: lost, ...keep };
    case 'transient':
      return { status: 'disconnected', reason: `connection lost: ${MESSAGE}`, event: lost, autoConnect: true, retry: true, clearSession: false };
  }
}

const rows = KINDS.flatMap((kind) => [true, false].flatMap((connected) => ENDINGS.map((ending) => ({ kind, end: { connected, ending } }))));

describe('closedState: every disconnect kind × connected or not × how WUTS ended it', () => {
  it('has 9 × 2 × 3 rows', () => {
    expect(rows).toHaveLength(54);
  });

  it.each(rows.map((r) => [`${r.kind}, ${r.end.connected ? 'connected' : 'never opened'}, ending ${r.end.ending}`, r] as const))(
    '%s',
    (_name, { kind, end }) => {
      expect(closedState(kind, MESSAGE, end)).toEqual(expected(kind, end));
    },
  );

  it('the table in short: which kinds retry, forget the session, or record nothing', () => {
    const end = { connected: true, ending: null };
    expect(KINDS.filter((k) => closedState(k, MESSAGE, end) === null)).toEqual(['restart_required', 'closed_by_us']);
    expect(KINDS.filter((k) => closedState(k, MESSAGE, end)?.retry)).toEqual(['transient']);
    expect(KINDS.filter((k) => closedState(k, MESSAGE, end)?.autoConnect)).toEqual(['transient']);
    expect(KINDS.filter((k) => closedState(k, MESSAGE, end)?.clearSession)).toEqual(['logged_out', 'bad_session']);
    expect(KINDS.filter((k) => closedState(k, MESSAGE, end)?.status === 'failed')).toEqual(['forbidden', 'client_outdated']);
  });

  it("keeps a lost connection's reason to 300 characters", () => {
    const outcome = closedState('transient', 'y'.repeat(400), { connected: true, ending: null });
    expect(outcome?.reason).toBe(`connection lost: ${'y'.repeat(283)}`);
    expect(outcome?.reason).toHaveLength(300);
  });
});
