import type { Static } from 'typebox';
import { tenantUserOf, type Actor, type UserActor } from '../auth/actor.js';
import { authorize } from '../auth/policy.js';
import { recordAudit } from '../audit/record.js';
import type { Deps } from '../deps.js';
import { lockTenant } from '../tenants/repo.js';
import { disableWebhooksOfDevice } from '../webhooks/repo.js';
import type { DeviceStatus } from '../db/schema.js';
import { conflict, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, toPage, type Page } from '../lib/pagination.js';
import { RateWindow } from '../lib/rate-window.js';
import { apiTime, nowIso } from '../lib/time.js';
import { LINKED_ELSEWHERE_CONFLICT, linkedElsewhere } from './linked-endpoint.js';
import { qrDataUrl } from './qr.js';
import * as repo from './repo.js';
import type { QrSchema } from './schemas.js';
import { findRestriction, restrictionsOf } from './restriction-repo.js';
import { toApiDevice, type ApiDevice } from './view.js';

const tenantUser = (actor: Actor): UserActor => tenantUserOf(actor, 'devices');
const CONNECT_WAIT_MS = 20_000;

async function mustFind(deps: Deps, tenantId: string, id: string): Promise<repo.DeviceRow> {
  const row = await repo.findDevice(deps.db.kysely, tenantId, id);
  if (!row) throw notFound('device');
  return row;
}

export async function createDevice(deps: Deps, actor: Actor, body: { name: string }): Promise<ApiDevice> {
  const user = tenantUser(actor);
  authorize(user, 'devices.manage');
  const now = nowIso();
  const row: Omit<repo.DeviceRow, 'tenant_id'> = {
    id: newId(),
    name: body.name.trim(),
    status: 'created',
    reason: null,
    phone: null,
    jid: null,
    lid: null,
    auto_connect: false,
    qr: null,
    qr_updated_at: null,
    pairing_code: null,
    connected_at: null,
    disconnected_at: null,
    send_interval_ms: null,
    queued_count: 0,
    created_at: now,
    updated_at: now,
  };
  const view = toApiDevice({ ...row, tenant_id: user.tenantId });
  await deps.db.kysely.transaction().execute(async (trx) => {
    await lockTenant(trx, deps.db.dialect, user.tenantId); // the count and the insert, atomically
    if ((await repo.countDevices(trx, user.tenantId)) >= deps.config.maxDevicesPerTenant) {
      throw conflict(`this tenant already has the maximum of ${deps.config.maxDevicesPerTenant} devices`, 'device_limit_reached');
    }
    await repo.insertDevice(trx, user.tenantId, row);
    await recordAudit(trx, user, { tenantId: user.tenantId, action: 'device.create', targetType: 'device', targetId: row.id, after: view });
  });
  return view;
}

export async function listDevices(
  deps: Deps,
  actor: Actor,
  query: { limit?: number | undefined; cursor?: string | undefined; status?: DeviceStatus | undefined },
): Promise<Page<ApiDevice>> {
  const user = tenantUser(actor);
  authorize(user, 'devices.read');
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const page = toPage(await repo.listDevices(deps.db.kysely, user.tenantId, { afterId: decodeCursor(query.cursor), limit, status: query.status }), limit);
  const restrictions = await restrictionsOf(
    deps.db.kysely,
    user.tenantId,
    page.items.map((d) => d.id),
  );
  const byDevice = new Map(restrictions.map((r) => [r.device_id, r]));
  return { items: page.items.map((d) => toApiDevice(d, byDevice.get(d.id))), nextCursor: page.nextCursor };
}

export async function getDevice(deps: Deps, actor: Actor, id: string): Promise<ApiDevice> {
  const user = tenantUser(actor);
  authorize(user, 'devices.read');
  const found = await repo.findDeviceWithRestriction(deps.db.kysely, user.tenantId, id);
  if (!found) throw notFound('device');
  return toApiDevice(found.device, found.restriction);
}

/** The device as the API shows it, with its restriction. */
async function viewOf(deps: Deps, row: repo.DeviceRow): Promise<ApiDevice> {
  return toApiDevice(row, await findRestriction(deps.db.kysely, row.tenant_id, row.id));
}

async function qrOf(row: repo.DeviceRow): Promise<Static<typeof QrSchema> | null> {
  if (row.status !== 'qr' || !row.qr || !row.qr_updated_at) return null;
  return { text: row.qr, png_data_url: await qrDataUrl(row.qr), updated_at: apiTime(row.qr_updated_at) };
}

export class DeviceLimits {
  readonly connects: RateWindow;
  readonly qrReads: RateWindow;
  constructor(deps: Deps) {
    this.connects = new RateWindow(deps.config.connectAttemptsPerMinute, 60_000);
    this.qrReads = new RateWindow(deps.config.qrRequestsPerMinute, 60_000);
  }
}

/**
 * Starts the device's connection (or keeps the one running) and answers how it stands: the QR
 * code to scan, the pairing code, or the connected device. Waits up to 20 s for the first sign.
 * A device whose session was linked on another WhatsApp endpoint than this node's is refused
 * (409 device_linked_elsewhere): that server alone knows its session.
 */
export async function connectDevice(deps: Deps, limits: DeviceLimits, actor: Actor, id: string, body: { phone_number?: string | undefined }) {
  const user = tenantUser(actor);
  authorize(user, 'devices.connect');
  const before = await mustFind(deps, user.tenantId, id);
  limits.connects.enforce(id, 'too many connect attempts for this device; try again later');
  if ((await linkedElsewhere(deps, user.tenantId, id)) !== null) throw conflict(LINKED_ELSEWHERE_CONFLICT, 'device_linked_elsewhere');

  const devices = deps.bus.devices();
  if (await devices.isRunning(id)) {
    await devices.connect(user.tenantId, id, {}); // a device waiting to retry tries now
  } else {
    const beforeView = await viewOf(deps, before); // read before the transaction: SQLite has one connection
    await deps.db.kysely.transaction().execute(async (trx) => {
      await repo.updateDevice(trx, user.tenantId, id, { auto_connect: true, updated_at: nowIso() });
      await recordAudit(trx, user, { tenantId: user.tenantId, action: 'device.connect', targetType: 'device', targetId: id, before: beforeView });
    });
    await devices.connect(user.tenantId, id, { pairingPhone: body.phone_number, waitMs: CONNECT_WAIT_MS });
  }
  const row = await mustFind(deps, user.tenantId, id);
  const pairingCode = row.status === 'qr' ? row.pairing_code : null;
  return { device: await viewOf(deps, row), qr: pairingCode ? null : await qrOf(row), pairing_code: pairingCode };
}

export async function currentQr(deps: Deps, limits: DeviceLimits, actor: Actor, id: string): Promise<Static<typeof QrSchema>> {
  const user = tenantUser(actor);
  authorize(user, 'devices.connect');
  const row = await mustFind(deps, user.tenantId, id);
  limits.qrReads.enforce(id, 'too many QR requests for this device; try again later');
  const qr = await qrOf(row);
  if (!qr) throw conflict(`the device has no QR code to show: it is ${row.status}`, 'no_qr');
  return qr;
}

/** Runs a change of the device's connection and audits the device before and after it. */
async function changeConnection(
  deps: Deps,
  actor: Actor,
  id: string,
  change: { permission: 'devices.connect' | 'devices.manage'; action: string; run: (tenantId: string) => Promise<void> },
): Promise<ApiDevice> {
  const user = tenantUser(actor);
  authorize(user, change.permission);
  const before = await viewOf(deps, await mustFind(deps, user.tenantId, id));
  await change.run(user.tenantId);
  const after = await viewOf(deps, await mustFind(deps, user.tenantId, id));
  await recordAudit(deps.db.kysely, user, {
    tenantId: user.tenantId,
    action: change.action,
    targetType: 'device',
    targetId: id,
    before,
    after,
  });
  return after;
}

export function disconnectDevice(deps: Deps, actor: Actor, id: string): Promise<ApiDevice> {
  return changeConnection(deps, actor, id, {
    permission: 'devices.connect',
    action: 'device.disconnect',
    run: (tenantId) => deps.bus.devices().disconnect(tenantId, id, 'disconnected by request'),
  });
}

export function logoutDevice(deps: Deps, actor: Actor, id: string): Promise<ApiDevice> {
  return changeConnection(deps, actor, id, {
    permission: 'devices.manage',
    action: 'device.logout',
    run: (tenantId) => deps.bus.devices().logout(tenantId, id),
  });
}

/** Unlinks the device from WhatsApp when it is linked, then removes it and its session. */
export async function deleteDevice(deps: Deps, actor: Actor, id: string): Promise<void> {
  const user = tenantUser(actor);
  authorize(user, 'devices.manage');
  const before = await mustFind(deps, user.tenantId, id);
  const devices = deps.bus.devices();
  if ((await devices.isRunning(id)) || (await repo.hasSession(deps.db.kysely, user.tenantId, id))) await devices.logout(user.tenantId, id);
  const beforeView = await viewOf(deps, before); // read before the transaction: SQLite has one connection
  await deps.db.kysely.transaction().execute(async (trx) => {
    await repo.deleteDevice(trx, user.tenantId, id);
    await disableWebhooksOfDevice(trx, user.tenantId, id, nowIso());
    await recordAudit(trx, user, { tenantId: user.tenantId, action: 'device.delete', targetType: 'device', targetId: id, before: beforeView });
  });
  deps.bus.webhooksChanged(user.tenantId, null); // its webhooks were disabled
  deps.bus.sendPaceChanged(id);
}
