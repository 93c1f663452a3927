import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { until } from '../helpers/wait.js';
import { chatHistory, createDevice, expectError, getMessage, phone, RFC3339, send, sendOk, setDeviceStatus, statusEvents } from './api-helpers.js';

/**
 * The outbound queue seen through the API, without WhatsApp: statuses and their history,
 * cancelling, the per-device queue limit, a logged-out device, time to live, and the send
 * interval. WUTS_MAX_QUEUED_PER_DEVICE is 3 here, so each test uses devices of its own.
 */

const SEND_INTERVAL_MS = 1700;
let t: TestApp;
let tenant: TenantFixture;
let agent: UserFixture;

beforeAll(async () => {
  t = await createTestApp({ maxQueuedPerDevice: 3, sendIntervalMs: SEND_INTERVAL_MS, maxDevicesPerTenant: 1000 });
  tenant = await createTenant(t);
  agent = await createUser(t, tenant, 'agent');
});
afterAll(async () => {
  await t?.close();
});

const text = (to = phone(), extra: Record<string, unknown> = {}) => ({ type: 'text', to, text: 'queued text', ...extra });

async function storedRow(id: string) {
  return t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('status and cancel', () => {
  it('GET /messages/{id}: the message with its history [queued]', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const m = await sendOk(t, agent.token, dev, text());
    const res = await t.call('GET', `/messages/${m.id}`, agent.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      message: { ...m, status_history: [{ status: 'queued', reason: null, at: m.created_at }], recipients: null, receipts: [] },
    });
    // accepting emits no status event: queued is where every message starts
    expect(await statusEvents(t, tenant.tenantId, m.id)).toEqual([]);
  });

  it('cancel a queued message: 200 cancelled, history [queued, cancelled], a message.status event; again: 409 not_queued', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const m = await sendOk(t, agent.token, dev, text());
    const res = await t.call('POST', `/messages/${m.id}/cancel`, agent.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['message', 'success']);
    const cancelled = body.message;
    expect(cancelled).toEqual({
      ...m,
      status: 'cancelled',
      reason: 'cancelled by request',
      updated_at: expect.stringMatching(RFC3339),
      status_history: [
        { status: 'queued', reason: null, at: m.created_at },
        { status: 'cancelled', reason: 'cancelled by request', at: expect.stringMatching(RFC3339) },
      ],
      recipients: null,
      receipts: [],
    });
    expect(cancelled.status_history[1].at).toBe(cancelled.updated_at);
    expect(await getMessage(t, agent.token, m.id)).toEqual(cancelled);

    expect(await statusEvents(t, tenant.tenantId, m.id)).toEqual([
      {
        device_id: dev,
        data: { message_id: m.id, wa_id: m.wa_id, chat_jid: m.chat_jid, status: 'cancelled', previous_status: 'queued', reason: 'cancelled by request' },
      },
    ]);

    const again = await t.call('POST', `/messages/${m.id}/cancel`, agent.token);
    expectError(again, 409, 'not_queued');
    expect(again.json().error).toContain('cancelled');
    // nothing more was recorded
    expect((await getMessage(t, agent.token, m.id)).status_history).toHaveLength(2);
    expect(await statusEvents(t, tenant.tenantId, m.id)).toHaveLength(1);
  });

  it('cancel an inbound message: 409 not_queued', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const sent = await sendOk(t, agent.token, dev, text());
    // the row turns into what a received message looks like
    await t.deps.db.kysely.updateTable('messages').set({ from_me: false, status: 'received' }).where('id', '=', sent.id).execute();
    expectError(await t.call('POST', `/messages/${sent.id}/cancel`, agent.token), 409, 'not_queued');
  });

  it('cancel of an unknown message: 404; of a malformed id: 400', async () => {
    expectError(await t.call('POST', '/messages/01890000-0000-7000-8000-0000000000cc/cancel', agent.token), 404, 'not_found');
    expectError(await t.call('POST', '/messages/nope/cancel', agent.token), 400, 'invalid_request');
    expectError(await t.call('GET', '/messages/nope', agent.token), 400, 'invalid_request');
  });

  it('cancel takes no body', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const m = await sendOk(t, agent.token, dev, text());
    // an empty JSON body is no body; a JSON body is refused or ignored, never a 5xx
    const res = await t.call('POST', `/messages/${m.id}/cancel`, agent.token, '', { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().message.status).toBe('cancelled');
  });
});

describe('WUTS_MAX_QUEUED_PER_DEVICE', () => {
  it('the 4th queued message of a device: 429 queue_full with Retry-After, nothing stored', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const to = phone();
    const accepted = [];
    for (let i = 0; i < 3; i++) accepted.push(await sendOk(t, agent.token, dev, text(to, { text: `n${i}` })));
    const full = await send(t, agent.token, dev, text(to, { text: 'n3' }));
    expectError(full, 429, 'queue_full');
    expect(full.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    // with an Idempotency-Key the refusal is not stored either
    const keyed = await send(t, agent.token, dev, text(to, { text: 'n3' }), { 'idempotency-key': 'full-queue-1' });
    expectError(keyed, 429, 'queue_full');
    expect((await chatHistory(t, agent.token, dev, to)).map((m) => m.content.text)).toEqual(['n2', 'n1', 'n0']);

    // the limit is per device
    const other = await createDevice(t, tenant.adminToken);
    await sendOk(t, agent.token, other, text(to));

    // a cancelled message no longer waits: there is room for one more
    const c = await t.call('POST', `/messages/${accepted[0]!.id}/cancel`, agent.token);
    expect(c.statusCode, c.body).toBe(200);
    const retried = await send(t, agent.token, dev, text(to, { text: 'n3' }), { 'idempotency-key': 'full-queue-1' });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expectError(await send(t, agent.token, dev, text(to, { text: 'n4' })), 429, 'queue_full');
  });

  it('8 concurrent sends to an empty device: exactly 3 accepted, 5 answer 429 queue_full', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const to = phone();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => send(t, agent.token, dev, text(to, { text: `c${i}` }))));
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes).toEqual([202, 202, 202, 429, 429, 429, 429, 429]);
    for (const res of answers.filter((r) => r.statusCode === 429)) expectError(res, 429, 'queue_full');
    expect(await chatHistory(t, agent.token, dev, to)).toHaveLength(3);
  });
});

describe('a logged-out device', () => {
  it('refuses new messages: 409 device_logged_out, nothing stored', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    await setDeviceStatus(t, dev, 'logged_out');
    const to = phone();
    for (const body of [text(to), { type: 'location', to, location: { latitude: 0, longitude: 0 } }]) {
      const res = await send(t, agent.token, dev, body);
      expectError(res, 409, 'device_logged_out');
    }
    expect(await chatHistory(t, agent.token, dev, to)).toEqual([]);
  });

  it('a disconnected device still accepts (queued until it connects)', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    await setDeviceStatus(t, dev, 'disconnected');
    const m = await sendOk(t, agent.token, dev, text());
    expect(m.status).toBe('queued');
  });

  it('its queued messages fail with device_logged_out on the sweep, each with a message.status event', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const stays = await createDevice(t, tenant.adminToken);
    const m1 = await sendOk(t, agent.token, dev, text());
    const m2 = await sendOk(t, agent.token, dev, text());
    const kept = await sendOk(t, agent.token, stays, text());
    await setDeviceStatus(t, dev, 'logged_out');
    await t.workers.sender.sweep();
    for (const m of [m1, m2]) {
      const got = await getMessage(t, agent.token, m.id);
      expect(got.status).toBe('failed');
      expect(got.reason).toMatch(/^device_logged_out/);
      expect(got.status_history.map((h) => [h.status, h.reason])).toEqual([
        ['queued', null],
        ['failed', got.reason],
      ]);
      expect(await statusEvents(t, tenant.tenantId, m.id)).toEqual([
        { device_id: dev, data: { message_id: m.id, wa_id: m.wa_id, chat_jid: m.chat_jid, status: 'failed', previous_status: 'queued', reason: got.reason } },
      ]);
      // a failed message cannot be cancelled
      expectError(await t.call('POST', `/messages/${m.id}/cancel`, agent.token), 409, 'not_queued');
    }
    const other = await getMessage(t, agent.token, kept.id);
    expect(other.status).toBe('queued');
    expect(other.status_history).toHaveLength(1);
  });
});

describe('time to live', () => {
  it('a message with ttl_seconds 10 on a disconnected device ends failed ttl_expired after the sweep', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const short = await sendOk(t, agent.token, dev, text(phone(), { ttl_seconds: 10 }));
    const long = await sendOk(t, agent.token, dev, text());
    expect(Date.parse(short.expires_at) - Date.parse(short.created_at)).toBe(10_000);

    // before it expires the sweep leaves it queued
    await t.workers.sender.sweep();
    expect((await getMessage(t, agent.token, short.id)).status).toBe('queued');

    const expiresAt = Date.parse((await storedRow(short.id)).expires_at!);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(10_000);
    await until('the ttl to pass', () => Date.now() > expiresAt + 50, 12_000);
    await t.workers.sender.sweep();

    const failed = await getMessage(t, agent.token, short.id);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/^ttl_expired/);
    expect(failed.status_history.map((h) => [h.status, h.reason])).toEqual([
      ['queued', null],
      ['failed', failed.reason],
    ]);
    expect(await statusEvents(t, tenant.tenantId, short.id)).toEqual([
      {
        device_id: dev,
        data: { message_id: short.id, wa_id: short.wa_id, chat_jid: short.chat_jid, status: 'failed', previous_status: 'queued', reason: failed.reason },
      },
    ]);
    // the message with the default ttl waits on
    expect((await getMessage(t, agent.token, long.id)).status).toBe('queued');
    expect(await statusEvents(t, tenant.tenantId, long.id)).toEqual([]);
  }, 20_000);
});

describe('PUT /devices/{id}/send-interval', () => {
  it('an admin sets 2500, then null returns to WUTS_SEND_INTERVAL_MS', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    const set = await t.call('PUT', `/devices/${dev}/send-interval`, tenant.adminToken, { send_interval_ms: 2500 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({ success: true, send_interval_ms: 2500, effective_ms: 2500 });
    expect((await t.deps.db.kysely.selectFrom('devices').select('send_interval_ms').where('id', '=', dev).executeTakeFirstOrThrow()).send_interval_ms).toBe(
      2500,
    );

    const reset = await t.call('PUT', `/devices/${dev}/send-interval`, tenant.adminToken, { send_interval_ms: null });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json()).toEqual({ success: true, send_interval_ms: null, effective_ms: SEND_INTERVAL_MS });
    expect(
      (await t.deps.db.kysely.selectFrom('devices').select('send_interval_ms').where('id', '=', dev).executeTakeFirstOrThrow()).send_interval_ms,
    ).toBeNull();
  });

  it('the bounds 0 and 600000 are accepted', async () => {
    const dev = await createDevice(t, tenant.adminToken);
    for (const ms of [0, 600_000]) {
      const res = await t.call('PUT', `/devices/${dev}/send-interval`, tenant.adminToken, { send_interval_ms: ms });
      expect(res.json()).toEqual({ success: true, send_interval_ms: ms, effective_ms: ms });
    }
  });

  it.each([
    ['negative', { send_interval_ms: -1 }],
    ['over 600000', { send_interval_ms: 600_001 }],
    ['a fraction', { send_interval_ms: 1.5 }],
    ['a string', { send_interval_ms: '2500' }],
    ['missing', {}],
    ['with another field', { send_interval_ms: 100, jitter: 0 }],
  ])('%s: 400 invalid_request, nothing changes', async (_name, body) => {
    const dev = await createDevice(t, tenant.adminToken);
    await t.call('PUT', `/devices/${dev}/send-interval`, tenant.adminToken, { send_interval_ms: 4321 });
    expectError(await t.call('PUT', `/devices/${dev}/send-interval`, tenant.adminToken, body), 400, 'invalid_request');
    expect((await t.deps.db.kysely.selectFrom('devices').select('send_interval_ms').where('id', '=', dev).executeTakeFirstOrThrow()).send_interval_ms).toBe(
      4321,
    );
  });

  it('an unknown device: 404', async () => {
    expectError(
      await t.call('PUT', '/devices/01890000-0000-7000-8000-0000000000dd/send-interval', tenant.adminToken, { send_interval_ms: 5 }),
      404,
      'not_found',
    );
  });
});
