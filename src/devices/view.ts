import type { Static } from 'typebox';
import { apiTime } from '../lib/time.js';
import type { DeviceRow } from './repo.js';
import { restrictionView } from './restriction-view.js';
import type { RestrictionRow } from './restriction-repo.js';
import type { DeviceSchema } from './schemas.js';

export type ApiDevice = Static<typeof DeviceSchema>;

/** `restriction`: the device's row of device_restrictions, if any (shown while in force). */
export function toApiDevice(row: DeviceRow, restriction?: RestrictionRow): ApiDevice {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    name: row.name,
    status: row.status,
    reason: row.reason,
    phone: row.phone,
    jid: row.jid,
    lid: row.lid,
    connected_at: apiTime(row.connected_at),
    disconnected_at: apiTime(row.disconnected_at),
    send_interval_ms: row.send_interval_ms,
    queued_messages: row.queued_count,
    restriction: restrictionView(restriction),
    created_at: apiTime(row.created_at),
    updated_at: apiTime(row.updated_at),
  };
}
