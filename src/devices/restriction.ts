import type { Deps } from '../deps.js';
import { withOutbox, type Emit } from '../events/outbox.js';
import { apiTime, nowIso } from '../lib/time.js';
import type { RestrictionReport } from '../whatsapp/restrictions.js';
import { findDevice } from './repo.js';
import { expiredRestrictions, findRestriction, removeRestriction, saveRestriction, type RestrictionRow } from './restriction-repo.js';
import { inForce, toApiRestriction } from './restriction-view.js';

/**
 * A device's account restriction as WhatsApp reports it: kept (device_restrictions) with the
 * event it causes (device.restricted, device.unrestricted) in one transaction, and lifted when
 * WhatsApp says so or its time passes.
 */

function describe(report: RestrictionReport): string {
  const until = report.until ? apiTime(report.until.toISOString()) : null;
  if (report.kind === 'new_chat_cap') {
    return `WhatsApp's new-chat message cap: this account used up its messages to new chats${report.detail ? ` (${report.detail})` : ''}${until ? ` until ${until}` : ''}; chats it already has still work`;
  }
  const enforcement = report.detail && report.detail !== 'DEFAULT' ? ` (enforcement: ${report.detail})` : '';
  return `WhatsApp's reach-out time-lock: this account may not start new chats${until ? ` until ${until}` : ''}${enforcement}; chats it already has still work`;
}

/** What the session reported: a restriction set or renewed (device.restricted), or lifted (device.unrestricted). */
export async function recordRestriction(deps: Deps, tenantId: string, deviceId: string, report: RestrictionReport): Promise<void> {
  await withOutbox(deps, async (trx, emit) => {
    if (!(await findDevice(trx, tenantId, deviceId))) return;
    const current = await findRestriction(trx, tenantId, deviceId);
    const now = nowIso();
    const until = report.until ? report.until.toISOString() : null;
    if (report.active && inForce({ until })) {
      const reason = describe(report);
      if (current && current.kind === report.kind && current.until === until && current.reason === reason) return; // nothing new
      const row: RestrictionRow = {
        device_id: deviceId,
        tenant_id: tenantId,
        kind: report.kind,
        until,
        reason,
        detail: report.detail,
        since: current && inForce(current) ? current.since : now,
        updated_at: now,
      };
      await saveRestriction(trx, row);
      await emit({ tenantId, deviceId, type: 'device.restricted', data: { device_id: deviceId, restriction: toApiRestriction(row) } });
      return;
    }
    // lifted (or reported with a time already past): only the restriction of that kind ends
    if (!current || current.kind !== report.kind) return;
    await removeRestriction(trx, tenantId, deviceId);
    await emitUnrestricted(emit, current, report.active ? 'expired' : 'lifted');
  });
}

function emitUnrestricted(emit: Emit, row: RestrictionRow, cause: 'lifted' | 'expired') {
  return emit({
    tenantId: row.tenant_id,
    deviceId: row.device_id,
    type: 'device.unrestricted',
    data: { device_id: row.device_id, cause, restriction: toApiRestriction(row) },
  });
}

/** Ends the restrictions whose time passed (device.unrestricted, cause expired); any node may run it, each ends once. */
export async function expireRestrictions(deps: Deps, batch = 100): Promise<number> {
  let ended = 0;
  for (const row of await expiredRestrictions(deps.db.kysely, nowIso(), batch)) {
    await withOutbox(deps, async (trx, emit) => {
      if (!(await removeRestriction(trx, row.tenant_id, row.device_id, row.until))) return; // renewed or ended meanwhile
      await emitUnrestricted(emit, row, 'expired');
      ended++;
    });
  }
  return ended;
}
