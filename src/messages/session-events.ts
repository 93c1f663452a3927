import type { Deps } from '../deps.js';
import { withOutbox } from '../events/outbox.js';
import { recordParticipantReceipts } from './group-receipts.js';
import { partyOf, rememberIdentities } from './identities.js';
import { keepReceived } from './inbound-keep.js';
import { storeInbound } from './inbound-store.js';
import * as repo from './repo.js';
import { recordReceipt } from './statuses.js';
import { parseContent } from './view.js';
import { cleanText } from '../whatsapp/inbound-guard.js';
import { nowIso } from '../lib/time.js';
import type { StatusUpdate } from '../whatsapp/messages.js';
import type { SessionEvents } from '../whatsapp/provider.js';

type MessageEvents = Required<
  Pick<
    SessionEvents,
    'onMessages' | 'keepMessage' | 'onStatuses' | 'keepStatuses' | 'onPresence' | 'lookupMessage' | 'onIdentities' | 'onParticipantReceipts' | 'onGroupSubject'
  >
>;

/**
 * What a device's session reports about messages, written to the database: received
 * messages, receipts (in order, after the device's earlier writes) and presence. `serial`
 * runs work after the device's earlier writes and settles with it.
 */
export function deviceMessageEvents(deps: Deps, tenantId: string, deviceId: string, serial: (work: () => Promise<void>) => Promise<void>): MessageEvents {
  const recordReceipts = (updates: StatusUpdate[]) =>
    serial(async () => {
      for (const update of updates) await recordReceipt(deps, tenantId, deviceId, update);
    });
  return {
    onMessages: (messages) => storeInbound(deps, tenantId, deviceId, messages),
    keepMessage: async (message) => {
      await keepReceived(deps, tenantId, deviceId, message);
    },
    onStatuses: (updates) => void recordReceipts(updates),
    keepStatuses: recordReceipts,
    onPresence: (presence) => {
      void withOutbox(deps, async (trx, emit) => {
        const participant = await partyOf(trx, tenantId, deviceId, presence.participantJid);
        await emit({
          tenantId,
          deviceId,
          type: 'chat.presence',
          data: { chat_jid: presence.chatJid, participant_jid: presence.participantJid, participant, state: presence.state },
        });
      }).catch((err: unknown) => deps.logger.warn({ err, deviceId }, 'recording a presence failed'));
    },
    onIdentities: (pairs) => rememberIdentities(deps, tenantId, deviceId, pairs),
    onParticipantReceipts: (receipts) =>
      void serial(() => recordParticipantReceipts(deps, tenantId, deviceId, receipts)).catch((err: unknown) =>
        deps.logger.warn({ err, deviceId }, 'recording group receipts failed'),
      ),
    onGroupSubject: (chatJid, subject) =>
      void serial(() => repo.setChatName(deps.db.kysely, tenantId, deviceId, chatJid, cleanText(subject), nowIso())).catch((err: unknown) =>
        deps.logger.warn({ err, deviceId }, 'naming a group chat failed'),
      ),
    lookupMessage: async (ref) => {
      const row = await repo.findByWaId(deps.db.kysely, tenantId, deviceId, ref.chatJid, ref.waId, ref.fromMe);
      return row && !row.deleted_at ? parseContent(row) : undefined;
    },
  };
}
