import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DIALECT } from '../helpers/database.js';
import { until } from '../helpers/wait.js';
import {
  chatHistory,
  companions,
  createAccount,
  emulatorApi,
  eventsOf,
  phoneSend,
  sendMessage,
  startWorld,
  tenantWithDevice,
  waitForAtLeast,
  waitForEvent,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';

/**
 * Store before acknowledging (patches/@whiskeysockets+baileys+7.0.0-rc14.patch): a received
 * message is committed before WhatsApp gets its delivery receipt. The database refuses writes
 * through real triggers (SQLite and PostgreSQL), not mocks:
 * - nothing can be kept: WhatsApp gets a NACK, keeps the message queued, and hands it over again
 *   after WUTS reconnects; once the database takes writes again it is stored once;
 * - one message cannot be stored: it is parked in the dead-letter table and acknowledged, the
 *   message after it is stored, and the operator stores it later (POST /dead-letters/{id}/retry);
 * - a delivery receipt cannot be kept: no ack, WhatsApp delivers it again after the reconnect.
 * On the code before the patch each fails: the receipt goes out before the store, so a message
 * the store refused is gone for good (the emulator's queue is empty and nothing is redelivered).
 */
const A = '15553550001'; // the number the WUTS device is linked to
const B = '15553550002'; // the peer

let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  // two tries, 0.25 s apart: a refused message is parked (or NACKed) in well under a second
  w = await startWorld({ inboundStoreAttempts: 2 });
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, B, 'Peer B');
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);
afterEach(async () => {
  for (const table of ['messages', 'inbound_dead_letters', 'message_statuses']) await allowInserts(table);
});

const db = () => w.t.deps.db.kysely;

/** Makes the database refuse inserts into `table` (those whose `column` contains `marker`, or all). */
async function refuseInserts(table: string, filter?: { column: string; marker: string }): Promise<void> {
  const name = `refuse_${table}`;
  if (DIALECT === 'postgres') {
    await sql
      .raw(`create or replace function ${name}() returns trigger language plpgsql as $$ begin raise exception 'refused by the test: ${table}'; end $$`)
      .execute(db());
    const when = filter ? `when (new.${filter.column} like '%${filter.marker}%')` : '';
    await sql.raw(`create trigger ${name} before insert on ${table} for each row ${when} execute function ${name}()`).execute(db());
  } else {
    const when = filter ? `when new.${filter.column} like '%${filter.marker}%'` : '';
    await sql.raw(`create trigger ${name} before insert on ${table} ${when} begin select raise(abort, 'refused by the test: ${table}'); end`).execute(db());
  }
}

async function allowInserts(table: string): Promise<void> {
  const name = `refuse_${table}`;
  if (DIALECT === 'postgres') {
    await sql.raw(`drop trigger if exists ${name} on ${table}`).execute(db());
    await sql.raw(`drop function if exists ${name}()`).execute(db());
  } else {
    await sql.raw(`drop trigger if exists ${name}`).execute(db());
  }
}

/** The acks WUTS's device sent the emulator for a stanza id (`error` set on a NACK). */
async function acksFor(id: string): Promise<Array<{ class?: string; error?: string }>> {
  const res = await emulatorApi<{ traffic: any[] }>(w.emu, 'GET', '/admin/traffic?limit=500');
  expect(res.status).toBe(200);
  return res.body.traffic.filter((t) => t.direction === 'in' && t.tag === 'ack' && t.attrs.id === id).map((t) => t.attrs);
}

const storedCopies = async (waId: string) => (await chatHistory(w, a.token, a.deviceId, B)).filter((m) => m.wa_id === waId);

it('nothing can be kept: no receipt (a NACK), the message stays queued at WhatsApp, and is stored once after the database takes writes again', async () => {
  await refuseInserts('messages');
  await refuseInserts('inbound_dead_letters');
  const sent = await phoneSend(w, B, { to: A, text: 'kept until stored' });

  await until('WUTS refused the message with a NACK', async () => (await acksFor(sent.id)).some((ack) => ack.error !== undefined), 15_000);
  expect(await storedCopies(sent.id)).toEqual([]);
  const [device] = await companions(w, A);
  expect(device!.queued, 'WhatsApp still holds the message for the device').toBeGreaterThanOrEqual(1);

  await allowInserts('messages');
  await allowInserts('inbound_dead_letters');
  // WUTS reconnects by itself after a refused message; WhatsApp hands it over at the login
  const stored = await waitForStored(w, a.token, a.deviceId, B, 'the message stored after the redelivery', (m) => m.wa_id === sent.id, 30_000);
  expect(stored).toMatchObject({ direction: 'inbound', type: 'text', content: { text: 'kept until stored' }, status: 'received' });
  await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
  await until('the emulator let go of the message', async () => (await companions(w, A))[0]!.queued === 0, 15_000);
  expect(await storedCopies(sent.id)).toHaveLength(1);
  expect(eventsOf(w, 'message.received', (d) => d.message?.wa_id === sent.id)).toHaveLength(1);
  expect(await db().selectFrom('inbound_dead_letters').selectAll().execute()).toEqual([]);
});

it('one message that cannot be stored is parked in the dead-letter table, the next one is stored, and the operator stores it later', async () => {
  await refuseInserts('messages', { column: 'content_json', marker: 'poison' });
  const bad = await phoneSend(w, B, { to: A, text: 'poison pill' });
  const good = await phoneSend(w, B, { to: A, text: 'the message after it' });

  await waitForStored(w, a.token, a.deviceId, B, 'the message after the bad one', (m) => m.wa_id === good.id);
  expect(await storedCopies(bad.id)).toEqual([]);
  // parked and acknowledged: WhatsApp holds nothing more for the device
  await until('the emulator let go of both', async () => (await companions(w, A))[0]!.queued === 0, 15_000);

  const list = await w.t.call('GET', '/dead-letters', w.t.masterToken);
  expect(list.statusCode, list.body).toBe(200);
  const parked = list.json().dead_letters.filter((d: any) => d.wa_id === bad.id);
  expect(parked).toHaveLength(1);
  expect(parked[0]).toMatchObject({
    tenant_id: a.tenantId,
    device_id: a.deviceId,
    chat_jid: `${B}@s.whatsapp.net`,
    from_me: false,
    attempts: 2,
    message: { waId: bad.id, content: { type: 'text', text: 'poison pill' } },
  });
  expect(parked[0].error).toContain('refused by the test');
  // the operator's only: a tenant admin is refused
  expect((await w.t.call('GET', '/dead-letters', a.token)).statusCode).toBe(403);
  const metrics = await w.t.call('GET', '/metrics');
  expect(metrics.body).toMatch(/^wuts_inbound_dead_letters 1$/m);

  // still refused: the retry answers 503 and the row stays
  const refused = await w.t.call('POST', `/dead-letters/${parked[0].id}/retry`, w.t.masterToken);
  expect(refused.statusCode, refused.body).toBe(503);
  expect(refused.json().code).toBe('store_failed');

  await allowInserts('messages');
  const retried = await w.t.call('POST', `/dead-letters/${parked[0].id}/retry`, w.t.masterToken);
  expect(retried.statusCode, retried.body).toBe(200);
  const stored = await storedCopies(bad.id);
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatchObject({ type: 'text', content: { text: 'poison pill' }, status: 'received' });
  await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === bad.id);
  expect((await w.t.call('GET', '/dead-letters', w.t.masterToken)).json().dead_letters).toEqual([]);
  expect((await w.t.call('POST', `/dead-letters/${parked[0].id}/retry`, w.t.masterToken)).statusCode).toBe(404);
  const audit = await w.t.call('GET', `/audit?tenant_id=${a.tenantId}&action=dead_letter.retry`, w.t.masterToken);
  expect(audit.json().entries).toHaveLength(1);
});

it('a delivery receipt that cannot be kept is not acknowledged: WhatsApp delivers it again and the status moves once it can be stored', async () => {
  // the sent status row goes in; the delivered one is refused
  await refuseInserts('message_statuses', { column: 'status', marker: 'delivered' });
  const msg = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: B, text: 'did it arrive?' });
  await waitForAtLeast(w, a.token, msg.id, 'sent');
  const phoneReceived = await until('B received it', async () => {
    const res = await emulatorApi<{ received: any[] }>(w.emu, 'GET', `/admin/accounts/${B}/messages?limit=500`);
    return res.body.received.find((m) => m.id === msg.wa_id);
  });
  expect(phoneReceived).toBeTruthy();
  await until('the device was handed the delivery receipt', async () => {
    const res = await emulatorApi<{ traffic: any[] }>(w.emu, 'GET', '/admin/traffic?limit=500');
    return res.body.traffic.some((t) => t.direction === 'out' && t.tag === 'receipt' && t.attrs.id === msg.wa_id);
  });
  await new Promise((r) => setTimeout(r, 1_000));
  const before = (await w.t.call('GET', `/messages/${msg.id}`, a.token)).json().message;
  expect(before.status).toBe('sent');

  await allowInserts('message_statuses');
  const delivered = await waitForAtLeast(w, a.token, msg.id, 'delivered', 30_000);
  expect(delivered.status_history.filter((h: any) => h.status === 'delivered')).toHaveLength(1);
});
