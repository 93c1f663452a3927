import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import type { RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor, waitForMessages, type ApiMessage } from './helpers.js';

const ALICE = '15550007001';
const BOB = '15550007002';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const VCARD = 'BEGIN:VCARD\nVERSION:3.0\nFN:Dora Explorer\nTEL;type=CELL;waid=15550007099:+1 555 000 7099\nEND:VCARD';
const ProtocolType = proto.Message.ProtocolMessage.Type;

type Sent = { status: number; body: { message: ApiMessage; code?: string } };
type Action = { status: number; body: { action_id: string; direction: string; message: ApiMessage; code?: string } };

describe("an account's phone sends every kind of message and applies what others do to its messages", () => {
  let emu: RunningEmulator;
  let alice: TestCompanion;
  const fromBob = (body: Record<string, unknown>): Promise<Sent> =>
    api(emu, 'POST', `/admin/accounts/${BOB}/messages`, { to: ALICE, ...body }) as Promise<Sent>;
  const bobActs = (id: string, action: string, body?: unknown): Promise<Action> =>
    api(emu, 'POST', `/admin/accounts/${BOB}/messages/${id}/${action}`, body) as Promise<Action>;
  const aliceGets = (id: string, what: string): Promise<WAMessage> => waitFor(what, () => alice.received.find((m) => m.key.id === id && !m.key.fromMe));

  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    alice = new TestCompanion(emu.wsUrl);
    await alice.linkTo(emu, ALICE);
  });

  afterAll(async () => {
    await alice?.stop();
    await emu?.close();
  });

  it('sends a location, a contact card and a poll that a Baileys client receives with their content', async () => {
    const location = await fromBob({
      type: 'location',
      location: { latitude: 48.8584, longitude: 2.2945, name: 'Eiffel Tower', address: 'Champ de Mars, Paris' },
    });
    expect(location.status).toBe(201);
    expect(location.body.message).toMatchObject({
      type: 'location',
      text: null,
      status: 'sent',
      location: { latitude: 48.8584, longitude: 2.2945, name: 'Eiffel Tower' },
    });
    const gotLocation = (await aliceGets(location.body.message.id, 'the location')).message?.locationMessage;
    expect(gotLocation).toMatchObject({ degreesLatitude: 48.8584, degreesLongitude: 2.2945, name: 'Eiffel Tower', address: 'Champ de Mars, Paris' });

    const contact = await fromBob({ type: 'contact', contact: { name: 'Dora Explorer', vcard: VCARD } });
    expect(contact.status).toBe(201);
    expect(contact.body.message).toMatchObject({ type: 'contact', contact: { name: 'Dora Explorer', vcard: VCARD } });
    const gotContact = (await aliceGets(contact.body.message.id, 'the contact')).message?.contactMessage;
    expect(gotContact).toMatchObject({ displayName: 'Dora Explorer', vcard: VCARD });

    const poll = await fromBob({ type: 'poll', poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectable_count: 2 } });
    expect(poll.status).toBe(201);
    expect(poll.body.message).toMatchObject({ type: 'poll', poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectable_count: 2 }, votes: [] });
    const gotPoll = (await aliceGets(poll.body.message.id, 'the poll')).message!;
    expect(gotPoll.pollCreationMessage?.name).toBe('Lunch?');
    expect(gotPoll.pollCreationMessage?.options?.map((o) => o.optionName)).toEqual(['Pizza', 'Sushi', 'Salad']);
    expect(gotPoll.pollCreationMessage?.selectableOptionsCount).toBe(2);
    expect(gotPoll.messageContextInfo?.messageSecret?.length).toBe(32);

    const text = await fromBob({ type: 'text', text: 'plain text, typed' });
    expect(text.body.message).toMatchObject({ type: 'text', text: 'plain text, typed', edited: false, deleted: false, reactions: [] });
  });

  it('replies, reacts, edits and deletes: the Baileys client receives each, the account shows them on its records', async () => {
    const question = await alice.sock!.sendMessage(jid(BOB), { text: 'what time is it?' });
    const questionId = question!.key.id!;
    await waitForMessages(emu, BOB, 'the question', (b) => b.received.find((m) => m.id === questionId));

    const reply = await fromBob({ text: 'noon', quoted_id: questionId });
    expect(reply.status).toBe(201);
    expect(reply.body.message).toMatchObject({ type: 'text', text: 'noon', quoted_id: questionId });
    const gotReply = (await aliceGets(reply.body.message.id, 'the reply')).message?.extendedTextMessage;
    expect(gotReply?.text).toBe('noon');
    expect(gotReply?.contextInfo?.stanzaId).toBe(questionId);
    expect(gotReply?.contextInfo?.quotedMessage?.conversation ?? gotReply?.contextInfo?.quotedMessage?.extendedTextMessage?.text).toBe('what time is it?');

    const react = await bobActs(questionId, 'react', { emoji: '👍' });
    expect(react.status).toBe(201);
    expect(react.body).toMatchObject({
      direction: 'received',
      message: { id: questionId, from: ALICE, text: 'what time is it?', reactions: [{ from: BOB, emoji: '👍' }] },
    });
    const gotReaction = await aliceGets(react.body.action_id, 'the reaction');
    expect(gotReaction.message?.reactionMessage).toMatchObject({ text: '👍', key: { id: questionId, fromMe: true } });
    const unreact = await bobActs(questionId, 'react', { emoji: '' });
    expect(unreact.body.message.reactions).toEqual([]);
    expect((await aliceGets(unreact.body.action_id, 'the removed reaction')).message?.reactionMessage?.text).toBe('');

    const typo = await fromBob({ text: 'see you at 1pn' });
    await aliceGets(typo.body.message.id, 'the typo');
    const edit = await bobActs(typo.body.message.id, 'edit', { text: 'see you at 1pm' });
    expect(edit.status).toBe(201);
    expect(edit.body).toMatchObject({ direction: 'sent', message: { id: typo.body.message.id, text: 'see you at 1pm', edited: true } });
    const gotEdit = await aliceGets(edit.body.action_id, 'the edit');
    const editProto = gotEdit.message?.protocolMessage;
    expect(editProto?.type).toBe(ProtocolType.MESSAGE_EDIT);
    expect(editProto?.key?.id).toBe(typo.body.message.id);
    expect(editProto?.editedMessage?.conversation ?? editProto?.editedMessage?.extendedTextMessage?.text).toBe('see you at 1pm');

    const remove = await bobActs(typo.body.message.id, 'delete');
    expect(remove.status).toBe(201);
    expect(remove.body.message).toMatchObject({ id: typo.body.message.id, deleted: true, text: null });
    const gotRevoke = (await aliceGets(remove.body.action_id, 'the delete')).message?.protocolMessage;
    expect(gotRevoke?.type).toBe(ProtocolType.REVOKE);
    expect(gotRevoke?.key?.id).toBe(typo.body.message.id);

    const listed = await waitForMessages(emu, BOB, 'the records', (b) => b);
    expect(listed.sent.find((m) => m.id === typo.body.message.id)).toMatchObject({ deleted: true, text: null, edited: true });
    expect(listed.received.find((m) => m.id === questionId)).toMatchObject({ text: 'what time is it?', reactions: [] });
  });

  it("applies a Baileys client's reply, reaction, edit and delete to the account's records", async () => {
    const bobSays = await fromBob({ text: 'the meeting moved to Friday' });
    const bobId = bobSays.body.message.id;
    const bobMessage = await aliceGets(bobId, "Bob's message");

    const reply = await alice.sock!.sendMessage(jid(BOB), { text: 'which Friday?' }, { quoted: bobMessage });
    const gotReply = await waitForMessages(emu, BOB, 'the reply', (b) => b.received.find((m) => m.id === reply!.key.id));
    expect(gotReply).toMatchObject({ type: 'text', text: 'which Friday?', quoted_id: bobId, from: ALICE });

    await alice.sock!.sendMessage(jid(BOB), { react: { text: '🎉', key: bobMessage.key } });
    await waitForMessages(emu, BOB, "Alice's reaction on Bob's sent message", (b) =>
      b.sent.find((m) => m.id === bobId && m.reactions.some((r) => r.from === ALICE && r.emoji === '🎉')),
    );
    await alice.sock!.sendMessage(jid(BOB), { react: { text: '❤️', key: bobMessage.key } });
    const changed = await waitForMessages(emu, BOB, 'the changed reaction', (b) =>
      b.sent.find((m) => m.id === bobId && m.reactions.some((r) => r.emoji === '❤️')),
    );
    expect(changed.reactions).toEqual([expect.objectContaining({ from: ALICE, emoji: '❤️' })]);

    const original = await alice.sock!.sendMessage(jid(BOB), { text: 'lets meet at 5' });
    await waitForMessages(emu, BOB, "Alice's message", (b) => b.received.find((m) => m.id === original!.key.id));
    await alice.sock!.sendMessage(jid(BOB), { react: { text: '👌', key: original!.key } });
    await waitForMessages(emu, BOB, "Alice's reaction on her own message", (b) =>
      b.received.find((m) => m.id === original!.key.id && m.reactions.some((r) => r.from === ALICE)),
    );
    await alice.sock!.sendMessage(jid(BOB), { text: "let's meet at 5", edit: original!.key });
    const edited = await waitForMessages(emu, BOB, 'the edit', (b) => b.received.find((m) => m.id === original!.key.id && m.edited));
    expect(edited).toMatchObject({ text: "let's meet at 5", edited: true, deleted: false });

    await alice.sock!.sendMessage(jid(BOB), { delete: original!.key });
    const deleted = await waitForMessages(emu, BOB, 'the delete', (b) => b.received.find((m) => m.id === original!.key.id && m.deleted));
    expect(deleted).toMatchObject({ text: null, deleted: true, reactions: [] });

    // protocol messages are applied, never stored as messages of their own
    const body = await waitForMessages(emu, BOB, 'the list', (b) => b);
    expect(body.received.filter((m) => m.type === 'protocolMessage' || m.type === 'reaction')).toEqual([]);
  });

  it('refuses what it cannot do, with stable codes', async () => {
    const received = await alice.sock!.sendMessage(jid(BOB), { text: 'not yours to edit' });
    const receivedId = received!.key.id!;
    await waitForMessages(emu, BOB, 'the message', (b) => b.received.find((m) => m.id === receivedId));
    const location = await fromBob({ type: 'location', location: { latitude: 1, longitude: 2 } });

    const expectError = async (res: Promise<{ status: number; body: { code?: string } }>, status: number, code: string) => {
      const { status: got, body } = await res;
      expect({ status: got, code: body.code }).toEqual({ status, code });
    };
    await expectError(bobActs('NO-SUCH-ID', 'react', { emoji: '👍' }), 404, 'message_not_found');
    await expectError(bobActs(receivedId, 'edit', { text: 'mine now' }), 400, 'not_sent_by_account');
    await expectError(bobActs(receivedId, 'delete'), 400, 'not_sent_by_account');
    await expectError(bobActs(location.body.message.id, 'edit', { text: 'text now' }), 400, 'not_a_text_message');
    await expectError(bobActs(receivedId, 'vote', { options: ['A'] }), 400, 'not_a_poll');
    await expectError(fromBob({ text: 'reply', quoted_id: 'NO-SUCH-ID' }), 404, 'quoted_message_not_found');
    await expectError(fromBob({ type: 'location', text: 'hi' }), 400, 'invalid_message');
    await expectError(fromBob({ type: 'poll', poll: { name: 'Q', options: ['A', 'A'] } }), 400, 'invalid_poll');
    await expectError(fromBob({ type: 'poll', poll: { name: 'Q', options: ['A', 'B'], selectable_count: 3 } }), 400, 'invalid_poll');
    await expectError(fromBob({ type: 'poll', poll: { name: 'Q', options: ['A'] } }), 400, 'invalid_request');
    await expectError(fromBob({ type: 'poll', poll: { name: 'Q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) } }), 400, 'invalid_request');
    await expectError(fromBob({ type: 'location', location: { latitude: 91, longitude: 0 } }), 400, 'invalid_request');
    await expectError(fromBob({ type: 'sticker' }), 400, 'invalid_message'); // a sticker needs media
    await expectError(fromBob({ type: 'gif' }), 400, 'invalid_request');
    await expectError(bobActs(receivedId, 'react', {}), 400, 'invalid_request');
  });

  it('keeps one record per message key, whatever its kind', async () => {
    const poll = { poll: { name: 'Once?', values: ['Yes', 'No'], selectableCount: 1 } };
    await alice.sock!.sendMessage(jid(BOB), poll, { messageId: 'DUP-POLL-1' });
    await alice.sock!.sendMessage(jid(BOB), { location: { degreesLatitude: 1, degreesLongitude: 2 } }, { messageId: 'DUP-LOC-1' });
    await waitForMessages(emu, BOB, 'both', (b) => b.received.some((m) => m.id === 'DUP-POLL-1') && b.received.some((m) => m.id === 'DUP-LOC-1'));
    await alice.sock!.sendMessage(jid(BOB), poll, { messageId: 'DUP-POLL-1' });
    await alice.sock!.sendMessage(jid(BOB), { location: { degreesLatitude: 1, degreesLongitude: 2 } }, { messageId: 'DUP-LOC-1' });
    const marker = await alice.sock!.sendMessage(jid(BOB), { text: 'after the duplicates' });
    const body = await waitForMessages(emu, BOB, 'the marker', (b) => b.received.some((m) => m.id === marker!.key.id) && b);
    expect(body.received.filter((m) => m.id === 'DUP-POLL-1')).toHaveLength(1);
    expect(body.received.filter((m) => m.id === 'DUP-LOC-1')).toHaveLength(1);
    expect(body.received.find((m) => m.id === 'DUP-POLL-1')).toMatchObject({
      type: 'poll',
      poll: { name: 'Once?', options: ['Yes', 'No'], selectable_count: 1 },
    });
    expect(body.received.find((m) => m.id === 'DUP-LOC-1')).toMatchObject({ type: 'location', location: { latitude: 1, longitude: 2 } });
  });

  it('keeps a reaction to a message it does not have as a record of its own, pointing at it', async () => {
    const reaction = await alice.sock!.sendMessage(jid(BOB), { react: { text: '😮', key: { remoteJid: jid(BOB), fromMe: true, id: 'NEVER-SEEN-BY-BOB' } } });
    const kept = await waitForMessages(emu, BOB, 'the orphan reaction', (b) => b.received.find((m) => m.id === reaction!.key.id));
    expect(kept).toMatchObject({ type: 'reaction', text: '😮', target_id: 'NEVER-SEEN-BY-BOB', from: ALICE });
  });

  it('sends, for hostile-peer tests, an unchecked quoted id and a profile name with NUL and a lone surrogate, as they are', async () => {
    const EVE = '15550007003';
    await createAccount(emu, EVE, 'Eve\u0000Hostile\uD800');
    const raw = 'NO-SUCH\u0000ID';
    const sent = await api<{ message: ApiMessage }>(emu, 'POST', `/admin/accounts/${EVE}/messages`, { to: ALICE, text: 'crafted', unchecked_quoted_id: raw });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ type: 'text', text: 'crafted', quoted_id: raw, status: 'sent' });
    const got = await aliceGets(sent.body.message.id, 'the crafted reply');
    expect(got.message?.extendedTextMessage?.contextInfo?.stanzaId).toBe(raw);
    expect(got.pushName).toBe('Eve\u0000Hostile\uFFFD'); // the lone surrogate becomes U+FFFD in the stanza's UTF-8 attribute
    const both = await api<{ code: string }>(emu, 'POST', `/admin/accounts/${EVE}/messages`, {
      to: ALICE,
      text: 'x',
      quoted_id: 'A',
      unchecked_quoted_id: 'B',
    });
    expect({ status: both.status, code: both.body.code }).toEqual({ status: 400, code: 'invalid_message' });
    const badId = 'HOSTILE ID\u0000';
    const withId = await api<{ message: ApiMessage }>(emu, 'POST', `/admin/accounts/${EVE}/messages`, { to: ALICE, text: 'my id', unchecked_id: badId });
    expect(withId.body.message).toMatchObject({ id: badId, text: 'my id', status: 'sent' });
    const gotId = (await aliceGets(badId, 'the message with a hostile id')).message;
    expect(gotId?.conversation ?? gotId?.extendedTextMessage?.text).toBe('my id');
  });

  it('documents the routes and their bodies in the OpenAPI document', async () => {
    type Doc = {
      paths: Record<string, { post?: { summary?: string; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } } }>;
    };
    const doc = await api<Doc>(emu, 'GET', '/openapi.json');
    for (const action of ['react', 'edit', 'delete', 'vote'])
      expect(doc.body.paths[`/admin/accounts/{phone}/messages/{id}/${action}`]?.post?.summary).toBeTruthy();
    const send = doc.body.paths['/admin/accounts/{phone}/messages']?.post?.requestBody?.content['application/json']?.schema.properties;
    expect(Object.keys(send ?? {}).sort()).toEqual([
      'caption',
      'contact',
      'filename',
      'location',
      'media',
      'mime_type',
      'poll',
      'quoted_id',
      'seconds',
      'text',
      'thumbnail',
      'to',
      'type',
      'unchecked_id',
      'unchecked_quoted_id',
      'view_once',
      'waveform',
    ]);
  });
});
