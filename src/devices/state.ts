import type { Deps } from '../deps.js';
import { withOutbox } from '../events/outbox.js';
import { nowIso } from '../lib/time.js';
import type { LinkedAccount } from '../whatsapp/provider.js';
import { findDevice, markNotWanted, updateDevice } from './repo.js';
import type { ClosedState } from './disconnect-table.js';
import { LINKED_ELSEWHERE_REASON } from './linked-endpoint.js';
import { recordLinkedEndpoint } from './session-repo.js';
import { activateStagedWebhook } from './staged-webhook.js';
import { assertHolder, type Fence } from '../cluster/fence.js';
import type { Emit } from '../events/outbox.js';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { retryTransient } from '../db/errors.js';

/**
 * The device's state as the supervisor learns it from WhatsApp, written with the events it
 * causes in one transaction (the outbox). A device deleted meanwhile is left alone. Each write
 * carries the holder's fence: once another node took the device over, it fails with
 * LeaseLostError and writes nothing.
 */
function holderWrite<T>(deps: Deps, fence: Fence | undefined, work: (trx: Transaction<Database>, emit: Emit) => Promise<T>): Promise<T> {
  return retryTransient(() =>
    withOutbox(deps, async (trx, emit) => {
      if (fence) await assertHolder(trx, deps.db.dialect, fence);
      return work(trx, emit);
    }),
  );
}

export async function recordConnecting(deps: Deps, tenantId: string, deviceId: string, fence?: Fence): Promise<void> {
  await holderWrite(deps, fence, (trx) => updateDevice(trx, tenantId, deviceId, { status: 'connecting', reason: null, updated_at: nowIso() }));
}

export async function recordQr(deps: Deps, tenantId: string, deviceId: string, qr: string, fence?: Fence): Promise<void> {
  await holderWrite(deps, fence, async (trx, emit) => {
    if (!(await findDevice(trx, tenantId, deviceId))) return;
    const now = nowIso();
    await updateDevice(trx, tenantId, deviceId, { status: 'qr', reason: null, qr, qr_updated_at: now, updated_at: now });
    await emit({ tenantId, deviceId, type: 'device.qr', data: { device_id: deviceId, qr } });
  });
}

export async function recordPairingCode(deps: Deps, tenantId: string, deviceId: string, code: string, fence?: Fence): Promise<void> {
  await holderWrite(deps, fence, (trx) => updateDevice(trx, tenantId, deviceId, { status: 'qr', pairing_code: code, updated_at: nowIso() }));
}

/** The connection opened on `endpoint`: a session that was just linked records it as the endpoint it belongs to. */
export async function recordOpen(deps: Deps, tenantId: string, deviceId: string, account: LinkedAccount, endpoint: string, fence?: Fence): Promise<void> {
  await holderWrite(deps, fence, async (trx, emit) => {
    if (!(await findDevice(trx, tenantId, deviceId))) return;
    const now = nowIso();
    await recordLinkedEndpoint(trx, tenantId, deviceId, endpoint);
    await updateDevice(trx, tenantId, deviceId, {
      status: 'connected',
      reason: null,
      phone: account.phone,
      jid: account.jid,
      lid: account.lid,
      qr: null,
      qr_updated_at: null,
      pairing_code: null,
      connected_at: now,
      updated_at: now,
    });
    await activateStagedWebhook(trx, deps.db.dialect, deps.secrets, tenantId);
    await emit({ tenantId, deviceId, type: 'device.connected', data: { device_id: deviceId, phone: account.phone, jid: account.jid, lid: account.lid } });
  });
}

export async function recordClosed(deps: Deps, tenantId: string, deviceId: string, state: ClosedState, fence?: Fence): Promise<void> {
  await holderWrite(deps, fence, async (trx, emit) => {
    const before = await findDevice(trx, tenantId, deviceId);
    if (!before) return;
    const now = nowIso();
    await updateDevice(trx, tenantId, deviceId, {
      status: state.status,
      reason: state.reason,
      auto_connect: state.autoConnect,
      qr: null,
      qr_updated_at: null,
      pairing_code: null,
      disconnected_at: before.status === 'connected' ? now : before.disconnected_at,
      updated_at: now,
    });
    if (state.event) await emit({ tenantId, deviceId, type: state.event, data: { device_id: deviceId, status: state.status, reason: state.reason } });
  });
}

/**
 * The device's session was linked on another WhatsApp endpoint than this node's: it is not
 * connected here and its session stays. It is still wanted (auto_connect is left as it is), so a
 * node on its endpoint reconnects it; one that showed as connected tells so (device.disconnected).
 */
export async function recordLinkedElsewhere(deps: Deps, tenantId: string, deviceId: string, fence?: Fence): Promise<void> {
  await holderWrite(deps, fence, async (trx, emit) => {
    const before = await findDevice(trx, tenantId, deviceId);
    if (!before) return;
    const now = nowIso();
    const wasConnected = before.status === 'connected';
    await updateDevice(trx, tenantId, deviceId, {
      status: 'disconnected',
      reason: LINKED_ELSEWHERE_REASON,
      qr: null,
      qr_updated_at: null,
      pairing_code: null,
      disconnected_at: wasConnected ? now : before.disconnected_at,
      updated_at: now,
    });
    if (wasConnected) {
      await emit({ tenantId, deviceId, type: 'device.disconnected', data: { device_id: deviceId, status: 'disconnected', reason: LINKED_ELSEWHERE_REASON } });
    }
  });
}

/** A device that is not running here is asked to disconnect: it no longer reconnects; the states
 * on the way to a connection become `disconnected`, the others (logged out, failed) stay. */
export async function recordNotWanted(deps: Deps, tenantId: string, deviceId: string, reason: string): Promise<void> {
  await markNotWanted(deps.db.kysely, tenantId, deviceId, reason, nowIso());
}
