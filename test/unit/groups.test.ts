import { proto, WAMessageStubType, type WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Deps } from '../../src/deps.js';
import { groupErrorOf } from '../../src/groups/errors.js';
import { onWhatsApp, type GroupContext } from '../../src/groups/service.js';
import type { DeviceGroups } from '../../src/whatsapp/groups.js';
import { parseGroupJid, parseInvite, parseParticipant, parseParticipants } from '../../src/groups/ids.js';
import { toOutcomes } from '../../src/groups/view.js';
import { AppError } from '../../src/lib/errors.js';
import { changesOf, fromNotificationMessage, participantsEvent } from '../../src/whatsapp/baileys/group-events.js';
import { GroupIdentities } from '../../src/whatsapp/baileys/group-identities.js';
import { refusalOf, toPerson } from '../../src/whatsapp/baileys/groups.js';
import { GroupRefusedError, InvalidPictureError } from '../../src/whatsapp/groups.js';

const G = '120363041234567890@g.us';

/** An error shaped as Baileys' Boom errors are: a message, an HTTP-like status, and `data`. */
const boom = (message: string, opts: { statusCode?: number; data?: unknown }) =>
  Object.assign(new Error(message), { output: { statusCode: opts.statusCode ?? 500 }, data: opts.data });

function errorOf(fn: () => unknown): { status: number; code: string } | 'no error' {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { status: err.statusCode, code: err.code };
    throw err;
  }
  return 'no error';
}

describe('naming groups, participants and invites', () => {
  it.each([
    [G, G],
    [' 120363041234567890@G.US ', G],
    ['5511987654321-1600000000@g.us', '5511987654321-1600000000@g.us'],
  ])('group %j is %s', (input, jid) => expect(parseGroupJid(input)).toBe(jid));

  it.each(['120363041234567890', '12@g.us', '5511987654321@s.whatsapp.net', `${G}x`, 'abc@g.us', ''])('group %j is refused (400 invalid_group)', (input) => {
    expect(errorOf(() => parseGroupJid(input))).toEqual({ status: 400, code: 'invalid_group' });
  });

  it.each([
    ['5511987654321', '5511987654321@s.whatsapp.net'],
    ['+5511987654321', '5511987654321@s.whatsapp.net'],
    ['+55 (11) 98765-4321', '5511987654321@s.whatsapp.net'],
    ['55.11.98765.4321', '5511987654321@s.whatsapp.net'],
    ['5511987654321@s.whatsapp.net', '5511987654321@s.whatsapp.net'],
    ['5511987654321:12@s.whatsapp.net', '5511987654321@s.whatsapp.net'],
    ['123456789012345@lid', '123456789012345@lid'],
  ])('participant %j is %s', (input, jid) => expect(parseParticipant(input, 'p')).toBe(jid));

  it.each(['55 11 98765-432x', '+55 (11)', '123', '0551198765432', '55 11-98765-4321@s.whatsapp.net', `${G}`, 'x@lid', '5511987654321@c.us'])(
    'participant %j is refused (400 invalid_participant)',
    (input) => {
      expect(errorOf(() => parseParticipant(input, 'p'))).toEqual({ status: 400, code: 'invalid_participant' });
    },
  );

  it('a participant named twice, as digits and as a JID, is refused', () => {
    expect(errorOf(() => parseParticipants(['5511987654321', '5511987654321@s.whatsapp.net']))).toEqual({ status: 400, code: 'duplicate_participant' });
  });

  it.each([
    ['AbCdEfGhIjKlMnOpQrStUv', 'AbCdEfGhIjKlMnOpQrStUv'],
    ['https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv', 'AbCdEfGhIjKlMnOpQrStUv'],
    ['chat.whatsapp.com/invite/AbCdEf_hIjKlMn-pQrStUv/', 'AbCdEf_hIjKlMn-pQrStUv'],
  ])('invite %j is code %s', (input, code) => expect(parseInvite(input)).toBe(code));

  it.each(['short', 'https://evil.example/AbCdEfGhIjKlMnOpQrStUv', 'AbCdEfGhIjKlMnOp QrStUv'])('invite %j is refused', (input) => {
    expect(errorOf(() => parseInvite(input))).toEqual({ status: 400, code: 'invalid_invite' });
  });
});

describe('per-participant outcomes', () => {
  const asked = ['5511900000001@s.whatsapp.net', '5511900000002@s.whatsapp.net', '123456789012345@lid'];
  it('add: codes in words, in the order asked; a participant WhatsApp did not name is refused', () => {
    const out = toOutcomes('add', asked, [
      { jid: asked[1]!, code: 403 },
      { jid: asked[0]!, code: 409 },
    ]);
    expect(out).toEqual([
      { jid: asked[0], phone: '5511900000001', status: 'already_participant', code: 409 },
      { jid: asked[1], phone: '5511900000002', status: 'privacy_refused', code: 403 },
      { jid: asked[2], phone: null, status: 'refused', code: 0 },
    ]);
  });
  it('create names only the refused ones: the rest were added', () => {
    expect(toOutcomes('add', asked, [{ jid: asked[2]!, code: 404 }], 200).map((o) => o.status)).toEqual(['added', 'added', 'not_on_whatsapp']);
  });
  it('404 means not in the group for remove, no request for approve', () => {
    expect(toOutcomes('remove', [asked[0]!], [{ jid: asked[0]!, code: 404 }])[0]!.status).toBe('not_a_participant');
    expect(toOutcomes('approve', [asked[0]!], [{ jid: asked[0]!, code: 404 }])[0]!.status).toBe('no_request');
    expect(toOutcomes('demote', [asked[0]!], [{ jid: asked[0]!, code: 406 }])[0]!.status).toBe('not_allowed');
    expect(toOutcomes('reject', [asked[0]!], [{ jid: asked[0]!, code: 200 }])[0]!.status).toBe('rejected');
  });
});

describe("WhatsApp's refusals as API errors", () => {
  const asApi = (err: unknown) => {
    const out = groupErrorOf(err, G) as AppError;
    return { status: out.statusCode, code: out.code };
  };
  it.each([
    [404, 404, 'group_not_found'],
    [403, 404, 'group_not_found'],
    [401, 403, 'not_group_admin'],
    [406, 404, 'invite_not_found'],
    [409, 409, 'group_conflict'],
    [400, 400, 'whatsapp_bad_request'],
    [429, 429, 'rate_limited'],
    [500, 502, 'whatsapp_refused'],
  ])('WhatsApp %i answers %i %s', (wa, status, code) => expect(asApi(new GroupRefusedError(wa, 'x'))).toEqual({ status, code }));

  it('anything else (a timeout) is a 502 without its details; an unreadable picture a 400', () => {
    expect(asApi(boom('Timed Out', { statusCode: 408 }))).toEqual({ status: 502, code: 'whatsapp_unavailable' });
    expect((groupErrorOf(new Error('secret internals'), G) as AppError).message).not.toContain('secret');
    expect(asApi(new InvalidPictureError('bad'))).toEqual({ status: 400, code: 'invalid_image' });
  });

  it('Baileys carries the code as data (assertNodeErrorFree) or as the error node (extractGroupMetadata)', () => {
    expect(refusalOf(boom('not-authorized', { data: 401 }))?.code).toBe(401);
    expect(refusalOf(boom('item-not-found', { statusCode: 404, data: { tag: 'error', attrs: { code: '404' } } }))?.code).toBe(404);
    expect(refusalOf(boom('Connection Closed', { statusCode: 428 }))).toBeUndefined();
    expect(refusalOf('not an error')).toBeUndefined();
  });
});

describe('a 403 from WhatsApp: a group the number is not in, or a change it may not make', () => {
  const deps = { logger: pino({ level: 'silent' }) } as unknown as Deps;
  const ctx = (member: boolean): GroupContext => ({
    user: { type: 'user', userId: 'u', tenantId: 't', role: 'admin', email: 'a@example.test', tokenId: 'k' },
    deviceId: 'd',
    me: { phone: '5511900000001', lid: null },
    groups: {
      get: async () => {
        if (!member) throw new GroupRefusedError(403, 'forbidden');
        return {} as never;
      },
    } as unknown as DeviceGroups,
  });
  const refused = () => Promise.reject(new GroupRefusedError(403, 'forbidden'));
  it('in the group: 403 not_group_admin', async () => {
    await expect(onWhatsApp(deps, ctx(true), G, refused)).rejects.toMatchObject({ statusCode: 403, code: 'not_group_admin' });
  });
  it('not in the group: 404 group_not_found', async () => {
    await expect(onWhatsApp(deps, ctx(false), G, refused)).rejects.toMatchObject({ statusCode: 404, code: 'group_not_found' });
  });
});

describe("Baileys' group events as WUTS's", () => {
  const lidA = '111111111111111@lid';
  const pnA = '5511900000001@s.whatsapp.net';
  const lidB = '222222222222222@lid';
  const pnB = '5511900000002@s.whatsapp.net';

  it('a person keeps both forms, whichever comes first', () => {
    expect(toPerson(lidA, pnA)).toEqual({ jid: lidA, phone: '5511900000001', lid: lidA });
    expect(toPerson(pnA, lidA)).toEqual({ jid: pnA, phone: '5511900000001', lid: lidA });
    expect(toPerson('5511900000001:3@s.whatsapp.net')).toEqual({ jid: pnA, phone: '5511900000001', lid: null });
  });

  it('groups.update: only what changed; whole groups (groupFetchAllParticipating) are not changes', () => {
    expect(changesOf({ id: G, subject: 'New' })).toEqual({ subject: 'New' });
    expect(changesOf({ id: G, desc: undefined })).toEqual({ description: null });
    expect(changesOf({ id: G, restrict: true, announce: false, memberAddMode: true, joinApprovalMode: false })).toEqual({
      locked: true,
      announce: false,
      memberAddMode: 'all_members',
      joinApproval: false,
    });
    expect(changesOf({ id: G, inviteCode: 'x' })).toBeUndefined();
    expect(changesOf({ id: G, subject: 'All', participants: [] })).toBeUndefined();
  });

  it('group-participants.update: someone adding or removing themselves joined or left; modify is no membership change', () => {
    const update = (action: 'add' | 'remove' | 'promote' | 'modify', author: string, ids: string[]) =>
      participantsEvent({ id: G, author, participants: ids.map((id) => ({ id, phoneNumber: id === lidB ? pnB : undefined })), action });
    expect(update('add', lidA, [lidB])).toMatchObject({
      action: 'added',
      author: { lid: lidA },
      participants: [{ jid: lidB, phone: '5511900000002', lid: lidB }],
    });
    expect(update('add', lidB, [lidB])).toMatchObject({ action: 'joined' });
    expect(update('remove', lidB, [lidB])).toMatchObject({ action: 'left' });
    expect(update('remove', lidA, [lidB])).toMatchObject({ action: 'removed' });
    expect(update('promote', lidA, [lidB])).toMatchObject({ action: 'promoted' });
    expect(update('modify', lidA, [lidB])).toBeUndefined();
  });

  it('picture and disappearing-messages notifications', () => {
    const stub = (extra: Partial<WAMessage>): WAMessage => ({ key: { remoteJid: G, participant: lidA, fromMe: false, id: 'X' }, ...extra });
    expect(fromNotificationMessage(stub({ messageStubType: WAMessageStubType.GROUP_CHANGE_ICON, messageStubParameters: ['123'] }))).toMatchObject({
      kind: 'updated',
      changes: { picture: 'set' },
      author: { lid: lidA },
    });
    expect(fromNotificationMessage(stub({ messageStubType: WAMessageStubType.GROUP_CHANGE_ICON }))).toMatchObject({ changes: { picture: 'removed' } });
    const ephemeral = { protocolMessage: { type: proto.Message.ProtocolMessage.Type.EPHEMERAL_SETTING, ephemeralExpiration: 604800 } };
    expect(fromNotificationMessage(stub({ message: ephemeral }))).toMatchObject({ changes: { ephemeralSeconds: 604800 } });
    expect(fromNotificationMessage({ ...stub({ message: ephemeral }), key: { remoteJid: pnB, id: 'Y' } })).toBeUndefined();
    expect(fromNotificationMessage(stub({ message: { conversation: 'hi' } }))).toBeUndefined();
  });

  it('identities: an actor named by LID alone gets the phone number learned earlier, and the account its own', () => {
    const ids = new GroupIdentities(() => ({ id: '5511900000009:4@s.whatsapp.net', lid: '999999999999999:4@lid' }));
    expect(ids.complete({ jid: lidB, phone: null, lid: lidB })).toEqual({ jid: lidB, phone: null, lid: lidB });
    ids.learn({ jid: lidB, phone: '5511900000002', lid: lidB });
    expect(ids.complete({ jid: lidB, phone: null, lid: lidB })).toEqual({ jid: lidB, phone: '5511900000002', lid: lidB });
    expect(ids.complete({ jid: pnB, phone: '5511900000002', lid: null }).lid).toBe(lidB);
    expect(ids.complete({ jid: '999999999999999@lid', phone: null, lid: '999999999999999@lid' }).phone).toBe('5511900000009');
  });
});
