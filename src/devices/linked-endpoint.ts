import type { Deps } from '../deps.js';
import { whatsappEndpoint } from '../whatsapp/endpoint.js';
import { linkedEndpoint } from './session-repo.js';

/**
 * A WhatsApp session is known only to the server it was linked on (WhatsApp's own, or an
 * emulator): elsewhere it is answered 401, which reads as "unlinked from the phone" and would
 * delete it. So a node never connects a device whose session was linked on another endpoint,
 * and never deletes such a session.
 */

/** The device's reason while its session waits for the endpoint it was linked on. */
export const LINKED_ELSEWHERE_REASON =
  "linked on another WhatsApp endpoint than this server's: not connected here, so its session is kept; it reconnects when the server uses that endpoint again";

/** What connect answers for such a device (409 device_linked_elsewhere). */
export const LINKED_ELSEWHERE_CONFLICT =
  "the device is linked on another WhatsApp endpoint than this server's: connecting it here would end its session there. It reconnects when the server uses that endpoint again; log it out to link it here anew";

/** The endpoint the device's session was linked on, when it is not this node's; null when the device may connect here. */
export async function linkedElsewhere(deps: Pick<Deps, 'db' | 'config'>, tenantId: string, deviceId: string): Promise<string | null> {
  const linked = await linkedEndpoint(deps.db.kysely, tenantId, deviceId);
  return linked !== null && linked !== whatsappEndpoint(deps.config.waWsUrl) ? linked : null;
}
