import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { nowIso } from '../../src/lib/time.js';
import { insertDeadLetter } from '../../src/messages/dead-letter-repo.js';
import type { InboundMessage } from '../../src/whatsapp/messages.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTenant, createUser, type TenantFixture } from '../helpers/factories.js';

/**
 * The dead-letter routes without WhatsApp: the operator's only (no token 401, every tenant
 * role 403), ids checked (400, 404), filtered by tenant and paged, and a drop that is audited.
 * (Parking and retrying a message end to end: test/messages/e2e-store-before-ack.test.ts.)
 */
let t: TestApp;
let tenant: TenantFixture;
let other: TenantFixture;
let deviceId: string;

function parked(tenantId: string, text: string) {
  const message: InboundMessage = {
    chatJid: '5511987654321@s.whatsapp.net',
    waId: `3EB0${newId().replace(/-/g, '').slice(0, 18).toUpperCase()}`,
    fromMe: false,
    senderJid: '5511987654321@s.whatsapp.net',
    pushName: null,
    timestamp: nowIso(),
    content: { type: 'text', text },
    quotedWaId: null,
    targetWaId: null,
    offline: false,
  };
  return {
    id: newId(),
    tenant_id: tenantId,
    device_id: deviceId,
    chat_jid: message.chatJid,
    wa_id: message.waId,
    from_me: false,
    message_json: JSON.stringify(message),
    error: 'refused by the test',
    attempts: 5,
    created_at: nowIso(),
  };
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  deviceId = (await t.call('POST', '/devices', tenant.adminToken, { name: 'front desk' })).json().device.id;
});
afterAll(async () => t?.close());

describe('/dead-letters', () => {
  it('answers 401 without a token and 403 to every role of a tenant, on each route', async () => {
    const row = parked(tenant.tenantId, 'kept for the operator');
    await insertDeadLetter(t.deps.db.kysely, row);
    const routes = [
      ['GET', '/dead-letters'],
      ['POST', `/dead-letters/${row.id}/retry`],
      ['DELETE', `/dead-letters/${row.id}`],
    ] as const;
    for (const [method, url] of routes) expect((await t.call(method, url)).statusCode, `${method} ${url}`).toBe(401);
    for (const role of ['admin', 'supervisor', 'agent', 'viewer'] as const) {
      const token = role === 'admin' ? tenant.adminToken : (await createUser(t, tenant, role)).token;
      for (const [method, url] of routes) {
        const res = await t.call(method, url, token);
        expect(res.statusCode, `${role} ${method} ${url}`).toBe(403);
      }
    }
    // nothing was touched
    expect((await t.call('GET', '/dead-letters', t.masterToken)).json().dead_letters.map((d: any) => d.id)).toContain(row.id);
  });

  it('refuses an id that is no UUID (400) and answers 404 for an unknown one', async () => {
    for (const [method, url] of [
      ['POST', '/dead-letters/not-a-uuid/retry'],
      ['DELETE', '/dead-letters/not-a-uuid'],
    ] as const)
      expect((await t.call(method, url, t.masterToken)).statusCode, url).toBe(400);
    const unknown = newId();
    expect((await t.call('POST', `/dead-letters/${unknown}/retry`, t.masterToken)).statusCode).toBe(404);
    expect((await t.call('DELETE', `/dead-letters/${unknown}`, t.masterToken)).statusCode).toBe(404);
    expect((await t.call('GET', '/dead-letters?tenant_id=nope', t.masterToken)).statusCode).toBe(400);
  });

  it('lists oldest first, one tenant with tenant_id, in pages', async () => {
    const mine = [parked(tenant.tenantId, 'one'), parked(tenant.tenantId, 'two'), parked(tenant.tenantId, 'three')];
    const theirs = parked(other.tenantId, 'other tenant');
    for (const row of [...mine, theirs]) await insertDeadLetter(t.deps.db.kysely, row);
    const first = (await t.call('GET', `/dead-letters?tenant_id=${other.tenantId}`, t.masterToken)).json();
    expect(first.dead_letters.map((d: any) => d.id)).toEqual([theirs.id]);
    expect(first.dead_letters[0]).toMatchObject({ tenant_id: other.tenantId, attempts: 5, message: { content: { text: 'other tenant' } } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await t.call('GET', `/dead-letters?tenant_id=${tenant.tenantId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, t.masterToken)).json();
      expect(page.dead_letters.length).toBeLessThanOrEqual(2);
      seen.push(...page.dead_letters.map((d: any) => d.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    for (const row of mine) expect(seen).toContain(row.id);
    expect(seen).not.toContain(theirs.id);
  });

  it('drops a parked message for good, audited', async () => {
    const row = parked(tenant.tenantId, 'to drop');
    await insertDeadLetter(t.deps.db.kysely, row);
    const res = await t.call('DELETE', `/dead-letters/${row.id}`, t.masterToken);
    expect(res.statusCode, res.body).toBe(200);
    expect((await t.call('GET', '/dead-letters', t.masterToken)).json().dead_letters.map((d: any) => d.id)).not.toContain(row.id);
    expect((await t.call('DELETE', `/dead-letters/${row.id}`, t.masterToken)).statusCode).toBe(404);
    const audit = (await t.call('GET', `/audit?tenant_id=${tenant.tenantId}&action=dead_letter.delete`, t.masterToken)).json().entries;
    expect(audit.map((e: any) => e.target_id)).toContain(row.id);
  });
});

describe('GET /messages/{id}/media', () => {
  it('401 without a token, 400 for a bad id, 404 for a message of another tenant and for a message without a file', async () => {
    const text = await t.call('POST', `/devices/${deviceId}/messages`, tenant.adminToken, { type: 'text', to: '5511987654321', text: 'no file' });
    expect(text.statusCode, text.body).toBe(202);
    const id = text.json().message.id;
    expect((await t.call('GET', `/messages/${id}/media`)).statusCode).toBe(401);
    expect((await t.call('GET', '/messages/not-a-uuid/media', tenant.adminToken)).statusCode).toBe(400);
    expect((await t.call('GET', `/messages/${id}/media`, tenant.adminToken)).statusCode).toBe(404);
    expect((await t.call('GET', `/messages/${id}/media`, other.adminToken)).statusCode).toBe(404);
    expect((await t.call('GET', `/messages/${newId()}/media`, tenant.adminToken)).statusCode).toBe(404);
  });
});
