import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createAccount,
  disconnectDevice,
  jidOf,
  phoneSend,
  reconnectDevice,
  startWorld,
  tenantWithDevice,
  waitForEvent,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';

/**
 * A hostile peer controls every string inside the encrypted payload. One crafted message (NUL
 * in the profile name and in the quoted id, NUL and a lone surrogate in the text) must not
 * cost the messages after it in the same batch, on SQLite and on PostgreSQL (which refuses NUL).
 */
const A = '15553340001'; // the number the WUTS device is linked to
const EVE = '15553340002'; // the hostile peer
const NUL = '\u0000';

let w: MessagingWorld;
let a: TenantWithDevice;

beforeAll(async () => {
  w = await startWorld();
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, EVE, `Eve${NUL}Hostile`);
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

/** Every row of the tenant's messages, chats, contacts and events, as JSON text (escapes show NUL and lone surrogates). */
async function storedRowsJson(tenantId: string): Promise<string[]> {
  const db = w.t.deps.db.kysely;
  const tables = [
    await db.selectFrom('messages').selectAll().where('tenant_id', '=', tenantId).execute(),
    await db.selectFrom('chats').selectAll().where('tenant_id', '=', tenantId).execute(),
    await db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenantId).execute(),
    await db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).execute(),
  ];
  return tables.flat().map((row) => JSON.stringify(row));
}

it('a message with NUL in its quoted id, text and push name is stored cleaned, and the message after it in the same batch is stored too', async () => {
  // both wait for the offline device: they reach WUTS in one batch when it reconnects
  await disconnectDevice(w, a.token, a.deviceId);
  const crafted = await phoneSend(w, EVE, { to: A, text: `crafted${NUL} text \uD800 ok 👍`, unchecked_quoted_id: `3EB0${NUL}FAKE` });
  const normal = await phoneSend(w, EVE, { to: A, text: 'a normal message right after it' });
  await reconnectDevice(w, a.token, a.deviceId);

  const storedNormal = await waitForStored(w, a.token, a.deviceId, EVE, 'the normal message stored', (m) => m.wa_id === normal.id, 20_000);
  expect(storedNormal).toMatchObject({ direction: 'inbound', type: 'text', content: { text: 'a normal message right after it' } });
  const storedCrafted = await waitForStored(w, a.token, a.deviceId, EVE, 'the crafted message stored', (m) => m.wa_id === crafted.id, 5_000);
  expect(storedCrafted).toMatchObject({
    direction: 'inbound',
    chat_jid: jidOf(EVE),
    type: 'text',
    content: { text: 'crafted text  ok 👍' }, // NUL and the lone surrogate removed, the emoji kept
    quoted_wa_id: null, // no WhatsApp id: the reference is dropped, never cleaned into another id
    quoted_message_id: null,
  });

  for (const m of [storedCrafted, storedNormal]) {
    const event = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === m.wa_id);
    expect(event.data.message).toEqual(m);
  }
  const contact = (await w.t.call('GET', `/devices/${a.deviceId}/contacts`, a.token)).json().contacts.find((c: any) => c.jid === jidOf(EVE));
  expect(contact).toMatchObject({ name: 'EveHostile' });
  const chat = (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats.find((c: any) => c.jid === jidOf(EVE));
  expect(chat).toMatchObject({ name: 'EveHostile', unread_count: 2 });

  const rows = await storedRowsJson(a.tenantId);
  expect(rows.join('\n')).toContain(crafted.id);
  for (const row of rows) {
    expect(row).not.toContain('\\u0000');
    expect(row, 'a lone surrogate is stored').not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
  }
});

it('a message whose own id is no WhatsApp id is skipped; the message after it in the same batch is stored', async () => {
  await disconnectDevice(w, a.token, a.deviceId);
  const hostileId = `HOSTILE ID${NUL}`;
  await phoneSend(w, EVE, { to: A, text: 'a message with a hostile id', unchecked_id: hostileId });
  const normal = await phoneSend(w, EVE, { to: A, text: 'a normal message after the hostile id' });
  await reconnectDevice(w, a.token, a.deviceId);

  const stored = await waitForStored(w, a.token, a.deviceId, EVE, 'the normal message stored', (m) => m.wa_id === normal.id, 20_000);
  await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === stored.wa_id);
  const rows = await w.t.deps.db.kysely.selectFrom('messages').select(['wa_id', 'content_json']).where('tenant_id', '=', a.tenantId).execute();
  expect(rows.filter((r) => r.wa_id.startsWith('HOSTILE') || r.content_json.includes('a message with a hostile id'))).toEqual([]);
});

it('every webhook the receiver got verifies with standardwebhooks', () => {
  expect(w.receiver.requests.length).toBeGreaterThan(0);
  expect(w.receiver.unverified().map((r) => `${r.payload?.type}: ${r.verifyError}`)).toEqual([]);
});
