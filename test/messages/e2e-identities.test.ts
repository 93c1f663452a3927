import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@wuts/wa-emulator';
import {
  createAccount,
  jidOf,
  messageOf,
  phoneAction,
  sendMessage,
  startWorld,
  tenantWithDevice,
  waitForEvent,
  waitForReceivedBy,
  waitForStored,
  type MessagingWorld,
  type TenantWithDevice,
} from './world.js';

/**
 * A peer WUTS first knows by its LID alone (it hides its number) and later by its phone number
 * too: WUTS keeps one contact and one chat for it, keyed by the phone number once known, and
 * every event and answer that names it carries both.
 */
const A = '15556660001'; // the WUTS device's number
const P = '15556660002'; // the peer

let w: MessagingWorld;
let a: TenantWithDevice;
let admin: EmulatorAdminClient;
let aLid: string;
let pLid: string;

beforeAll(async () => {
  w = await startWorld();
  admin = new EmulatorAdminClient(w.emu);
  await createAccount(w.emu, A, 'WUTS A');
  await createAccount(w.emu, P, 'Pat');
  aLid = (await admin.account(A)).lid;
  pLid = (await admin.account(P)).lid;
  a = await tenantWithDevice(w, A);
}, 60_000);
afterAll(async () => w?.close(), 60_000);

const chats = async () => (await w.t.call('GET', `/devices/${a.deviceId}/chats`, a.token)).json().chats as any[];
const contacts = async () => (await w.t.call('GET', `/devices/${a.deviceId}/contacts`, a.token)).json().contacts as any[];

it('known by LID only: the chat, the contact and the event name the LID, and no phone', async () => {
  await admin.setPhoneNumberHidden(P, true);
  const sent = await admin.send(P, { to: aLid, text: 'hello from a hidden number' });
  const stored = await waitForStored(w, a.token, a.deviceId, pLid, 'the LID-only message', (m) => m.wa_id === sent.id);
  expect(stored).toMatchObject({ chat_jid: pLid, sender_jid: pLid, sender: { jid: pLid, phone: null, lid: pLid } });
  const event = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
  expect(event.data.message.sender).toEqual({ jid: pLid, phone: null, lid: pLid });

  expect((await chats()).filter((c) => c.jid === pLid || c.jid === jidOf(P))).toEqual([
    expect.objectContaining({ jid: pLid, type: 'user', phone: null, lid: pLid, name: 'Pat', unread_count: 1 }),
  ]);
  expect((await contacts()).filter((c) => c.jid === pLid || c.jid === jidOf(P))).toEqual([
    expect.objectContaining({ jid: pLid, phone: null, lid: pLid, name: 'Pat' }),
  ]);
});

it('then by phone number too: one chat and one contact, keyed by the number, with both; the earlier message moved with them', async () => {
  await admin.setPhoneNumberHidden(P, false);
  const sent = await admin.send(P, { to: aLid, text: 'now you can see my number' });
  const stored = await waitForStored(w, a.token, a.deviceId, P, 'the message with both', (m) => m.wa_id === sent.id);
  expect(stored).toMatchObject({ chat_jid: jidOf(P), sender_jid: jidOf(P), sender: { jid: jidOf(P), phone: P, lid: pLid } });
  const event = await waitForEvent(w, 'message.received', (d) => d.message?.wa_id === sent.id);
  expect(event.data.message.sender).toEqual({ jid: jidOf(P), phone: P, lid: pLid });

  const mine = (await chats()).filter((c) => c.jid === pLid || c.jid === jidOf(P));
  expect(mine).toEqual([expect.objectContaining({ jid: jidOf(P), type: 'user', phone: P, lid: pLid, name: 'Pat', unread_count: 2 })]);
  const people = (await contacts()).filter((c) => c.jid === pLid || c.jid === jidOf(P) || c.phone === P);
  expect(people).toEqual([expect.objectContaining({ jid: jidOf(P), phone: P, lid: pLid, name: 'Pat' })]);

  // the whole conversation is one history, asked by number or by LID
  const byPhone = (await w.t.call('GET', `/devices/${a.deviceId}/chats/${P}/messages?direction=newer`, a.token)).json().messages;
  const byLid = (await w.t.call('GET', `/devices/${a.deviceId}/chats/${pLid}/messages?direction=newer`, a.token)).json().messages;
  expect(byPhone.map((m: any) => m.content.text)).toEqual(['hello from a hidden number', 'now you can see my number']);
  expect(byLid).toEqual(byPhone);
  expect(byPhone[0]).toMatchObject({ chat_jid: jidOf(P), sender: { jid: jidOf(P), phone: P, lid: pLid } });
});

it('a send to the number answers the recipient with its LID; the peer gets it; its reaction names it by both', async () => {
  const msg = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: P, text: 'got it, thanks' });
  expect(msg.recipient).toEqual({ jid: jidOf(P), phone: P, lid: pLid });
  await waitForReceivedBy(w, P, msg.wa_id);
  await phoneAction(w, P, msg.wa_id, 'react', { emoji: '👍' });
  const reaction = await waitForEvent(w, 'message.reaction', (d) => d.target_wa_id === msg.wa_id);
  expect(reaction.data).toMatchObject({ chat_jid: jidOf(P), sender_jid: jidOf(P), sender: { jid: jidOf(P), phone: P, lid: pLid } });
  expect((await messageOf(w, a.token, msg.id)).recipient).toEqual({ jid: jidOf(P), phone: P, lid: pLid });
  // a send to the LID goes to the same chat
  const byLid = await sendMessage(w, a.token, a.deviceId, { type: 'text', to: pLid, text: 'same chat' });
  expect(byLid).toMatchObject({ chat_jid: jidOf(P), recipient: { jid: jidOf(P), phone: P, lid: pLid } });
  expect((await chats()).filter((c) => c.phone === P || c.lid === pLid)).toHaveLength(1);
});

it("checking numbers answers each number's LID, and the contact keeps it", async () => {
  const res = await w.t.call('POST', `/devices/${a.deviceId}/check-numbers`, a.token, { numbers: [P] });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().numbers).toEqual([{ number: P, on_whatsapp: true, jid: jidOf(P), lid: pLid }]);
  expect((await contacts()).filter((c) => c.phone === P || c.lid === pLid)).toEqual([
    expect.objectContaining({ jid: jidOf(P), phone: P, lid: pLid, on_whatsapp: true }),
  ]);
});
