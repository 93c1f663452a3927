import type { Hub } from '../wire/hub.js';
import type { WireSession } from '../wire/session.js';
import { CodePairings } from './code-pairings.js';

/**
 * The devices waiting to be linked, and the hub they are linked into: by the QR refs they
 * show, and by the pairing codes they asked for. A connection that closes is forgotten.
 */
export class PendingLinks {
  /** QR ref -> the connection showing it */
  readonly qrRefs = new Map<string, WireSession>();
  /** devices that asked for a pairing code, waiting for it to be typed on the phone */
  readonly codes = new CodePairings();

  constructor(readonly hub: Hub) {
    hub.onDetach((session) => this.forget(session));
  }

  /** The connection closed, or is being linked: neither its QR nor a pairing code may link it now. */
  forget(session: WireSession): void {
    for (const ref of session.registration?.refs ?? []) {
      if (this.qrRefs.get(ref) === session) this.qrRefs.delete(ref);
    }
    this.codes.dropSession(session);
  }
}
