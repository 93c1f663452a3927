import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture, type UserFixture } from '../helpers/factories.js';
import { chatHistory, createDevice, expectError, expectQueuedView, jidOf, phone, send, setDeviceStatus } from './api-helpers.js';

/** POST /devices/{id}/messages with an Idempotency-Key (product.md section 2). */

let t: TestApp;
let a: TenantFixture;
let b: TenantFixture;
let agent: UserFixture;
let deviceA: string;
let deviceB: string;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
  agent = await createUser(t, a, 'agent');
  deviceA = await createDevice(t, a.adminToken);
  deviceB = await createDevice(t, b.adminToken);
});
afterAll(async () => {
  await t?.close();
});

const newKey = () => `order-${randomBytes(8).toString('hex')}`;
const keyed = (key: string) => ({ 'idempotency-key': key });

async function countIn(token: string, deviceId: string, chat: string): Promise<number> {
  return (await chatHistory(t, token, deviceId, chat)).length;
}

describe('Idempotency-Key', () => {
  it('the same key and body replay the first answer and create nothing', async () => {
    const to = phone();
    const key = newKey();
    const body = { type: 'text', to, text: 'pay 10 EUR', ttl_seconds: 600 };
    const first = await send(t, agent.token, deviceA, body, keyed(key));
    expect(first.statusCode, first.body).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expectQueuedView(first.json().message, { deviceId: deviceA, chatJid: jidOf(to), type: 'text', content: { text: 'pay 10 EUR' }, ttlSeconds: 600 });

    for (let i = 0; i < 3; i++) {
      const again = await send(t, agent.token, deviceA, body, keyed(key));
      expect(again.statusCode, again.body).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
    }
    expect(await countIn(agent.token, deviceA, to)).toBe(1);
  });

  it('the same body with its fields in another order, and from another user of the tenant, is the same request', async () => {
    const to = phone();
    const key = newKey();
    const first = await send(t, agent.token, deviceA, { type: 'location', to, location: { latitude: 1.5, longitude: 2.5, name: 'Here' } }, keyed(key));
    expect(first.statusCode, first.body).toBe(202);
    const again = await send(t, a.adminToken, deviceA, { location: { name: 'Here', longitude: 2.5, latitude: 1.5 }, to, type: 'location' }, keyed(key));
    expect(again.statusCode, again.body).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().message.id).toBe(first.json().message.id);
    expect(await countIn(agent.token, deviceA, to)).toBe(1);
  });

  it('the same key with another body: 409 idempotency_key_reused, nothing created', async () => {
    const to = phone();
    const key = newKey();
    expect((await send(t, agent.token, deviceA, { type: 'text', to, text: 'one' }, keyed(key))).statusCode).toBe(202);
    expectError(await send(t, agent.token, deviceA, { type: 'text', to, text: 'two' }, keyed(key)), 409, 'idempotency_key_reused');
    expectError(await send(t, agent.token, deviceA, { type: 'text', to, text: 'one', link_preview: true }, keyed(key)), 409, 'idempotency_key_reused');
    // the same body to another device of the tenant is another request too
    const deviceA2 = await createDevice(t, a.adminToken);
    expectError(await send(t, agent.token, deviceA2, { type: 'text', to, text: 'one' }, keyed(key)), 409, 'idempotency_key_reused');
    expect((await chatHistory(t, agent.token, deviceA, to)).map((m) => m.content.text)).toEqual(['one']);
    expect(await countIn(agent.token, deviceA2, to)).toBe(0);
  });

  it('the same key in another tenant is independent', async () => {
    const to = phone();
    const key = newKey();
    const body = { type: 'text', to, text: 'same words' };
    const inA = await send(t, agent.token, deviceA, body, keyed(key));
    const inB = await send(t, b.adminToken, deviceB, body, keyed(key));
    expect(inA.statusCode, inA.body).toBe(202);
    expect(inB.statusCode, inB.body).toBe(202);
    expect(inB.headers['idempotent-replayed']).toBeUndefined();
    expect(inB.json().message.id).not.toBe(inA.json().message.id);
    expect(inB.json().message.device_id).toBe(deviceB);
    // and B reusing it with another body is B's own conflict, not A's answer
    expectError(await send(t, b.adminToken, deviceB, { ...body, text: 'other words' }, keyed(key)), 409, 'idempotency_key_reused');
    // B with A's key on A's device: A's device is not B's (404), never A's stored answer
    const cross = await send(t, b.adminToken, deviceA, body, keyed(key));
    expectError(cross, 404, 'not_found');
    expect(cross.body).not.toContain(inA.json().message.id);
  });

  it('a replay still checks the caller: a viewer replaying an agent key gets 403, not the answer', async () => {
    const viewer = await createUser(t, a, 'viewer');
    const key = newKey();
    const body = { type: 'text', to: phone(), text: 'agent only' };
    const first = await send(t, agent.token, deviceA, body, keyed(key));
    expect(first.statusCode).toBe(202);
    const res = await send(t, viewer.token, deviceA, body, keyed(key));
    expectError(res, 403, 'forbidden');
    expect(res.body).not.toContain(first.json().message.id);
  });

  it('a replay answers the first answer, even after the message changed', async () => {
    const key = newKey();
    const body = { type: 'text', to: phone(), text: 'to cancel' };
    const first = await send(t, agent.token, deviceA, body, keyed(key));
    expect(first.statusCode).toBe(202);
    const cancel = await t.call('POST', `/messages/${first.json().message.id}/cancel`, agent.token);
    expect(cancel.statusCode, cancel.body).toBe(200);
    const again = await send(t, agent.token, deviceA, body, keyed(key));
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
  });

  it('a refused request does not use up its key', async () => {
    const to = phone();
    const key = newKey();
    // refused inside the work (blank text), twice: no answer is stored
    for (let i = 0; i < 2; i++) expectError(await send(t, agent.token, deviceA, { type: 'text', to, text: '   ' }, keyed(key)), 400, 'invalid_text');
    // refused because the device is logged out
    const dev = await createDevice(t, a.adminToken);
    await setDeviceStatus(t, dev, 'logged_out');
    const key2 = newKey();
    expectError(await send(t, agent.token, dev, { type: 'text', to, text: 'x' }, keyed(key2)), 409, 'device_logged_out');
    await setDeviceStatus(t, dev, 'created');
    const after = await send(t, agent.token, dev, { type: 'text', to, text: 'x' }, keyed(key2));
    expect(after.statusCode, after.body).toBe(202);
    expect(after.headers['idempotent-replayed']).toBeUndefined();
    // the first key is free for a good request
    const ok = await send(t, agent.token, deviceA, { type: 'text', to, text: 'fine now' }, keyed(key));
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });

  it.each([
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'order 42'],
    ['a tab', 'order\t42'],
    ['empty', ''],
    ['a non-ASCII letter', 'ordér-42'],
  ])('a key with %s: 400 invalid_idempotency_key, nothing created', async (_name, key) => {
    const to = phone();
    const res = await send(t, agent.token, deviceA, { type: 'text', to, text: 'x' }, keyed(key));
    expectError(res, 400, 'invalid_idempotency_key');
    expect(await countIn(agent.token, deviceA, to)).toBe(0);
  });

  it('a key of 255 visible characters is accepted', async () => {
    const key = '!~' + 'K'.repeat(253);
    const body = { type: 'text', to: phone(), text: 'long key' };
    const first = await send(t, agent.token, deviceA, body, keyed(key));
    expect(first.statusCode, first.body).toBe(202);
    const again = await send(t, agent.token, deviceA, body, keyed(key));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().message.id).toBe(first.json().message.id);
  });

  it('8 concurrent requests with one key create exactly one message, and all answer it', async () => {
    const to = phone();
    const key = newKey();
    const body = { type: 'text', to, text: 'only once' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(t, agent.token, deviceA, body, keyed(key))));
    for (const res of answers) expect(res.statusCode, res.body).toBe(202);
    const ids = new Set(answers.map((r) => r.json().message.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    const stored = await chatHistory(t, agent.token, deviceA, to);
    expect(stored.map((m) => m.id)).toEqual([...ids]);
    const statuses = await t.deps.db.kysely
      .selectFrom('message_statuses')
      .select('status')
      .where('message_id', '=', [...ids][0]!)
      .execute();
    expect(statuses).toEqual([{ status: 'queued' }]);
  });

  it('8 concurrent requests with one key and different bodies: one 202, seven 409', async () => {
    const to = phone();
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(t, agent.token, deviceA, { type: 'text', to, text: `variant ${i}` }, keyed(key))),
    );
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes, answers.map((r) => r.body).join('\n')).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    for (const res of answers.filter((r) => r.statusCode === 409)) expectError(res, 409, 'idempotency_key_reused');
    expect(await countIn(agent.token, deviceA, to)).toBe(1);
  });

  it('without a key, the same body twice makes two messages', async () => {
    const to = phone();
    const body = { type: 'text', to, text: 'twice' };
    const one = await send(t, agent.token, deviceA, body);
    const two = await send(t, agent.token, deviceA, body);
    expect([one.statusCode, two.statusCode]).toEqual([202, 202]);
    expect(one.json().message.id).not.toBe(two.json().message.id);
    expect(await countIn(agent.token, deviceA, to)).toBe(2);
  });
});
