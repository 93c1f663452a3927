import type { Deps } from '../deps.js';
import { withOutbox } from '../events/outbox.js';
import type { ParticipantReceipt } from '../whatsapp/messages.js';
import { partyOf } from './identities.js';
import { lockMessage, upsertReceipt } from './receipt-repo.js';
import * as repo from './repo.js';
import { settleGroupStatus } from './statuses.js';

/**
 * Participants' receipts for group messages the device sent: each is kept (GET /messages/{id}
 * shows them) and sent as a `message.receipt` event; the message's own status moves once every
 * participant it went to has delivered (read) it.
 */
export async function recordParticipantReceipts(deps: Deps, tenantId: string, deviceId: string, receipts: ParticipantReceipt[]): Promise<void> {
  for (const r of receipts) {
    await withOutbox(deps, async (trx, emit) => {
      const row = await repo.findByWaId(trx, tenantId, deviceId, r.chatJid, r.waId, true);
      if (!row) return;
      await lockMessage(trx, deps.db.dialect, tenantId, row.id);
      const participant = await partyOf(trx, tenantId, deviceId, r.participantJid, r.participantLid);
      await upsertReceipt(trx, tenantId, row.id, {
        participantJid: participant.jid,
        phone: participant.phone,
        lid: participant.lid,
        status: r.status,
        at: r.at,
      });
      await emit({
        tenantId,
        deviceId,
        type: 'message.receipt',
        data: { message_id: row.id, wa_id: row.wa_id, chat_jid: row.chat_jid, participant, status: r.status, at: r.at.replace(/\.\d{3}Z$/, 'Z') },
      });
      await settleGroupStatus(trx, emit, tenantId, row.id);
    });
  }
}
