import type { Deps } from '../deps.js';
import { newId } from '../lib/ids.js';
import { nowIso } from '../lib/time.js';
import type { InboundMessage } from '../whatsapp/messages.js';
import { insertDeadLetter } from './dead-letter-repo.js';
import { storeReceived } from './inbound-store.js';

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 4_000;

/** The pause before try `attempt + 1`: 0.25 s, doubling, at most 4 s. */
function storePause(attempt: number): number {
  return Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (attempt - 1));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps a received message before WhatsApp is told it arrived: stored (tried
 * WUTS_INBOUND_STORE_ATTEMPTS times), or else parked in the dead-letter table so that it
 * does not hold back the device's next messages. Throws only when neither worked: WhatsApp
 * then gets no receipt and delivers the message again.
 */
export async function keepReceived(deps: Deps, tenantId: string, deviceId: string, m: InboundMessage): Promise<'stored' | 'dead_letter'> {
  const key = { chatJid: m.chatJid, waId: m.waId, fromMe: m.fromMe };
  const attempts = deps.config.inboundStoreAttempts;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await storeReceived(deps, tenantId, deviceId, m);
      return 'stored';
    } catch (err) {
      lastError = err;
      deps.logger.warn({ err, tenantId, deviceId, key, attempt, of: attempts }, 'storing a received message failed');
      if (attempt < attempts) await pause(storePause(attempt));
    }
  }
  try {
    await insertDeadLetter(deps.db.kysely, {
      id: newId(),
      tenant_id: tenantId,
      device_id: deviceId,
      chat_jid: m.chatJid,
      wa_id: m.waId,
      from_me: m.fromMe,
      message_json: JSON.stringify(m),
      error: describe(lastError),
      attempts,
      created_at: nowIso(),
    });
  } catch (err) {
    deps.logger.error(
      { err, tenantId, deviceId, key },
      'a received message could not be stored nor parked: WhatsApp is not told it arrived, and delivers it again',
    );
    throw lastError;
  }
  deps.logger.error({ err: lastError, tenantId, deviceId, key }, 'a received message could not be stored: parked in the dead-letter table (GET /dead-letters)');
  return 'dead_letter';
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.slice(0, 1_000);
}
