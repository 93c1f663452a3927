import type { DisconnectKind } from '../provider.js';

/** What the session knew when its socket closed. */
export interface CloseContext {
  /** Baileys' status code (lastDisconnect.error.output.statusCode), null when none. */
  statusCode: number | null;
  message: string;
  /** The session showed a QR code and had not been linked (no pair-success) when it closed. */
  linking: boolean;
  /** stop() or logout() was called: what we asked for wins over what the socket reports. */
  requested: 'closed_by_us' | 'logged_out' | null;
}

const QR_ENDED = /QR refs attempts ended/i;

/**
 * The disconnect-reason table of docs/emulator.md. Baileys reports network errors
 * (ECONNREFUSED, timeouts) as 408 too, so a 408 means "QR expired" only when the QR
 * refs ran out or a QR was showing, never on a first connection that failed.
 */
export function classifyDisconnect(ctx: CloseContext): DisconnectKind {
  if (ctx.requested) return ctx.requested;
  switch (ctx.statusCode) {
    case 515:
      return 'restart_required';
    case 401:
      return 'logged_out';
    case 403:
      return 'forbidden';
    case 440:
      return 'connection_replaced';
    case 411:
      return 'bad_session';
    case 405:
      return 'client_outdated';
    case 408:
      return QR_ENDED.test(ctx.message) || ctx.linking ? 'qr_expired' : 'transient';
    default:
      // 428, 500, 503, network errors, anything unknown: reconnect with backoff
      return 'transient';
  }
}

/** Reads Baileys' Boom (or any error) into a status code and a message. */
export function describeCloseError(error: unknown): { statusCode: number | null; message: string } {
  if (!error) return { statusCode: null, message: 'closed' };
  const boom = error as { output?: { statusCode?: unknown }; message?: unknown };
  const code = boom.output?.statusCode;
  return {
    statusCode: typeof code === 'number' ? code : null,
    message: typeof boom.message === 'string' && boom.message ? boom.message : String(error),
  };
}
