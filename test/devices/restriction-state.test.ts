import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireRestrictions, recordRestriction } from '../../src/devices/restriction.js';
import { storeInbound } from '../../src/messages/inbound-store.js';
import { newChatRefusal } from '../../src/messages/new-chats.js';
import type { RestrictionReport } from '../../src/whatsapp/restrictions.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/factories.js';
import { createDevice } from '../messages/api-helpers.js';

// How reported restrictions become rows and events (device_restrictions, device.restricted,
// device.unrestricted), on the real database, without WhatsApp.

let t: TestApp;
let a: TenantFixture;
let b: TenantFixture;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
});
afterAll(async () => t?.close());

const inSeconds = (s: number) => new Date(Math.ceil(Date.now() / 1000) * 1000 + s * 1000);
const timelock = (until: Date | null, active = true, detail = 'DEFAULT'): RestrictionReport => ({ kind: 'reachout_timelock', active, until, detail });

async function eventsOf(deviceId: string): Promise<Array<{ type: string; data: any }>> {
  const rows = await t.deps.db.kysely.selectFrom('events').select(['type', 'data_json']).where('device_id', '=', deviceId).orderBy('id').execute();
  return rows.map((r) => ({ type: r.type, data: JSON.parse(r.data_json) }));
}

async function restrictionOf(token: string, deviceId: string): Promise<any> {
  const res = await t.call('GET', `/devices/${deviceId}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().device.restriction;
}

describe('recordRestriction', () => {
  it('a new restriction: one row, one device.restricted; the same report again changes nothing', async () => {
    const device = await createDevice(t, a.adminToken);
    const until = inSeconds(3600);
    await recordRestriction(t.deps, a.tenantId, device, timelock(until, true, 'BIZ_QUALITY'));
    await recordRestriction(t.deps, a.tenantId, device, timelock(until, true, 'BIZ_QUALITY'));
    const events = await eventsOf(device);
    expect(events.map((e) => e.type)).toEqual(['device.restricted']);
    expect(events[0]!.data.restriction).toEqual(await restrictionOf(a.adminToken, device));
    expect(await restrictionOf(a.adminToken, device)).toMatchObject({
      kind: 'reachout_timelock',
      until: until.toISOString().replace('.000Z', 'Z'),
      detail: 'BIZ_QUALITY',
    });
  });

  it('renewed with another end: device.restricted again, `since` kept', async () => {
    const device = await createDevice(t, a.adminToken);
    await recordRestriction(t.deps, a.tenantId, device, timelock(inSeconds(600)));
    const first = await restrictionOf(a.adminToken, device);
    await recordRestriction(t.deps, a.tenantId, device, timelock(inSeconds(7200)));
    const second = await restrictionOf(a.adminToken, device);
    expect(second.since).toBe(first.since);
    expect(second.until).not.toBe(first.until);
    expect((await eventsOf(device)).map((e) => e.type)).toEqual(['device.restricted', 'device.restricted']);
  });

  it('lifted: device.unrestricted (lifted) with the restriction that ended; a lift of the other kind leaves it', async () => {
    const device = await createDevice(t, a.adminToken);
    await recordRestriction(t.deps, a.tenantId, device, timelock(inSeconds(600)));
    await recordRestriction(t.deps, a.tenantId, device, { kind: 'new_chat_cap', active: false, until: null, detail: null });
    expect(await restrictionOf(a.adminToken, device)).not.toBeNull();
    const before = await restrictionOf(a.adminToken, device);
    await recordRestriction(t.deps, a.tenantId, device, timelock(null, false));
    expect(await restrictionOf(a.adminToken, device)).toBeNull();
    const events = await eventsOf(device);
    expect(events.map((e) => e.type)).toEqual(['device.restricted', 'device.unrestricted']);
    expect(events[1]!.data).toEqual({ device_id: device, cause: 'lifted', restriction: before });
    // nothing left to lift: no event
    await recordRestriction(t.deps, a.tenantId, device, timelock(null, false));
    expect(await eventsOf(device)).toHaveLength(2);
  });

  it('reported with an end already past: not a restriction; one still kept ends as expired', async () => {
    const device = await createDevice(t, a.adminToken);
    await recordRestriction(t.deps, a.tenantId, device, timelock(new Date(Date.now() - 1000)));
    expect(await eventsOf(device)).toEqual([]);
    await recordRestriction(t.deps, a.tenantId, device, timelock(inSeconds(600)));
    await recordRestriction(t.deps, a.tenantId, device, timelock(new Date(Date.now() - 1000)));
    expect((await eventsOf(device)).map((e) => [e.type, e.data.cause])).toEqual([
      ['device.restricted', undefined],
      ['device.unrestricted', 'expired'],
    ]);
  });

  it('another tenant’s device id, or a deleted device: nothing is written', async () => {
    const device = await createDevice(t, a.adminToken);
    await recordRestriction(t.deps, b.tenantId, device, timelock(inSeconds(600)));
    expect(await restrictionOf(a.adminToken, device)).toBeNull();
    expect(await eventsOf(device)).toEqual([]);
    expect((await t.call('GET', `/devices/${device}`, b.adminToken)).statusCode).toBe(404);
  });
});

describe('expireRestrictions', () => {
  it('ends each restriction whose time passed once, even when sweeps run side by side; others stay', async () => {
    const soon = await createDevice(t, a.adminToken);
    const later = await createDevice(t, a.adminToken);
    await recordRestriction(t.deps, a.tenantId, soon, timelock(new Date(Date.now() + 1500)));
    await recordRestriction(t.deps, a.tenantId, later, timelock(inSeconds(3600)));
    expect(await restrictionOf(a.adminToken, soon)).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1600));
    // its time passed: the view no longer shows it, even before the sweep
    expect(await restrictionOf(a.adminToken, soon)).toBeNull();
    const ended = await Promise.all([expireRestrictions(t.deps), expireRestrictions(t.deps), expireRestrictions(t.deps)]);
    expect(ended.reduce((x, y) => x + y, 0)).toBe(1);
    expect((await eventsOf(soon)).map((e) => [e.type, e.data.cause])).toEqual([
      ['device.restricted', undefined],
      ['device.unrestricted', 'expired'],
    ]);
    expect(await restrictionOf(a.adminToken, later)).not.toBeNull();
    expect((await eventsOf(later)).map((e) => e.type)).toEqual(['device.restricted']);
  });
});

describe('newChatRefusal', () => {
  it('refuses a chat without a conversation while restricted; groups and unrestricted devices go', async () => {
    const device = await createDevice(t, a.adminToken);
    const chat = { device_id: device, chat_jid: '15550001234@s.whatsapp.net' };
    expect(await newChatRefusal(t.deps, a.tenantId, chat)).toBeNull();
    const until = inSeconds(600);
    await recordRestriction(t.deps, a.tenantId, device, timelock(until));
    expect(await newChatRefusal(t.deps, a.tenantId, chat)).toBe(
      `account_restricted: WhatsApp does not let this account start new chats until ${until.toISOString().replace('.000Z', 'Z')} (reach-out time-lock); chats it already has still work`,
    );
    expect(await newChatRefusal(t.deps, a.tenantId, { device_id: device, chat_jid: '120363000000000001@g.us' })).toBeNull();
    // the peer wrote: now a conversation, which a restriction does not stop
    await storeInbound(t.deps, a.tenantId, device, [
      {
        chatJid: chat.chat_jid,
        waId: 'INBOUNDRESTRICT1',
        fromMe: false,
        senderJid: chat.chat_jid,
        pushName: 'Peer',
        timestamp: new Date().toISOString(),
        content: { type: 'text', text: 'hello' },
        quotedWaId: null,
        targetWaId: null,
        offline: false,
      },
    ]);
    expect(await newChatRefusal(t.deps, a.tenantId, chat)).toBeNull();
    // another device of the tenant has no conversation there
    const other = await createDevice(t, a.adminToken);
    await recordRestriction(t.deps, a.tenantId, other, timelock(until));
    expect(await newChatRefusal(t.deps, a.tenantId, { ...chat, device_id: other })).toMatch(/^account_restricted: /);
  });
});
