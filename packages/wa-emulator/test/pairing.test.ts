import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/index.js';
import { unwrapKey, wrapKey } from '../src/linking/code-crypto.js';
import { CodePairings, type PendingCodePairing } from '../src/linking/code-pairings.js';
import type { WireSession } from '../src/wire/session.js';
import { LIMITS } from '../src/model.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const ALICE = '15550007001';
const BOB = '15550007002';
const CAROL = '15550007003';
const NOBODY = '15550007999';
const jid = (phone: string) => `${phone}@s.whatsapp.net`;
const textOf = (m: { message?: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } | null }) =>
  m.message?.conversation ?? m.message?.extendedTextMessage?.text;

interface ErrorBody {
  success: false;
  error: string;
  code: string;
}
interface DeviceBody {
  success: true;
  device: { id: number; kind: string; jid: string; lid: string; online: boolean };
}
interface DevicesBody {
  devices: Array<{ id: number; kind: string }>;
}

/** A code that is not `code`: the same format, another first character. */
const otherCode = (code: string) => (code[0] === 'A' ? 'B' : 'A') + code.slice(1);

describe('linking by pairing code, an unmodified Baileys client and the phone typing the code (POST /admin/pair)', () => {
  let emu: RunningEmulator;
  const companions: TestCompanion[] = [];
  const companion = () => {
    const c = new TestCompanion(emu.wsUrl);
    companions.push(c);
    return c;
  };

  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, ALICE, 'Alice');
    await createAccount(emu, BOB, 'Bob');
    await createAccount(emu, CAROL, 'Carol');
  });

  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
  });

  it('links the client that asked for the code: open with the account jid and LID, messages flow both ways', async () => {
    const alice = companion();
    const code = await alice.requestCode(ALICE);
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);

    // typed on the phone as WhatsApp shows it, XXXX-XXXX
    const res = await api<DeviceBody>(emu, 'POST', '/admin/pair', { phone: ALICE, code: `${code.slice(0, 4)}-${code.slice(4)}` });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.device).toMatchObject({ id: 1, kind: 'companion', jid: `${ALICE}:1@s.whatsapp.net`, lid: expect.stringMatching(/^\d+:1@lid$/) });

    await waitFor('connection open', () => alice.isOpen, 10_000);
    expect(alice.closeCodes).toContain(515); // the restart after pairing, as with a QR
    expect(alice.me).toBe(`${ALICE}:1@s.whatsapp.net`);
    expect(alice.auth.state.creds.me?.lid).toBe(res.body.device.lid);
    const account = await api<{ account: { lid: string } }>(emu, 'GET', `/admin/accounts/${ALICE}`);
    expect(alice.auth.state.creds.me?.lid?.split(':')[0]).toBe(account.body.account.lid.split('@')[0]);
    expect(alice.auth.state.creds.registered).toBe(true);

    // the code is used up: typing it again finds nothing waiting
    const again = await api<ErrorBody>(emu, 'POST', '/admin/pair', { phone: ALICE, code });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ success: false, code: 'code_pairing_not_found' });

    // the companion sends to Bob's account, and Bob's phone answers
    const toBob = await alice.sock!.sendMessage(jid(BOB), { text: 'hi Bob, linked by code' });
    const received = await pollApi(emu, BOB, (b) => b.received.find((m) => m.id === toBob?.key.id));
    expect(received).toMatchObject({ from: ALICE, text: 'hi Bob, linked by code' });

    const sent = await api<{ message: { id: string } }>(emu, 'POST', `/admin/accounts/${BOB}/messages`, { to: ALICE, text: 'hello Alice' });
    expect(sent.status).toBe(201);
    const got = await waitFor('Alice receives from Bob', () => alice.received.find((m) => m.key.id === sent.body.message.id));
    expect(textOf(got)).toBe('hello Alice');
  });

  it('a wrong code is refused and links nothing; the right code then links', async () => {
    const carol = companion();
    const code = await carol.requestCode(CAROL);
    const wrong = await api<ErrorBody>(emu, 'POST', '/admin/pair', { phone: CAROL, code: otherCode(code) });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ success: false, code: 'wrong_code' });
    const devices = await api<DevicesBody>(emu, 'GET', `/admin/accounts/${CAROL}/devices`);
    expect(devices.body.devices.map((d) => d.kind)).toEqual(['phone']);
    expect(carol.isOpen).toBe(false);
    expect(carol.openCount).toBe(0);

    const right = await api<DeviceBody>(emu, 'POST', '/admin/pair', { phone: CAROL, code });
    expect(right.status, JSON.stringify(right.body)).toBe(200);
    await waitFor('connection open', () => carol.isOpen, 10_000);
    expect(carol.me).toBe(`${CAROL}:1@s.whatsapp.net`);
  });

  it('404 for a phone with no account, or with no device waiting for a code; 400 for a malformed code', async () => {
    const unknown = await api<ErrorBody>(emu, 'POST', '/admin/pair', { phone: NOBODY, code: 'ABCD-EFGH' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ success: false, code: 'account_not_found' });

    const nothingWaiting = await api<ErrorBody>(emu, 'POST', '/admin/pair', { phone: BOB, code: 'ABCDEFGH' });
    expect(nothingWaiting.status).toBe(404);
    expect(nothingWaiting.body).toMatchObject({ success: false, code: 'code_pairing_not_found' });

    for (const code of ['ABC', 'ABCD-EFGH-J', 'ABCD EFG!']) {
      const bad = await api<ErrorBody>(emu, 'POST', '/admin/pair', { phone: BOB, code });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ success: false, code: 'invalid_request' });
    }
    const extra = await api<ErrorBody>(emu, 'POST', '/admin/pair', { phone: BOB, code: 'ABCDEFGH', qr: 'x' });
    expect(extra.status).toBe(400);
  });

  it('a client asking a code for a number with no account gets an error answer, and nothing waits', async () => {
    const stray = companion();
    await stray.requestCode(NOBODY);
    const answered = await pollTraffic(emu, (items) => {
      const asked = items.filter((t) => t.direction === 'in' && t.tag === 'iq' && t.child === 'link_code_companion_reg');
      return items.find(
        (t) => t.direction === 'out' && t.tag === 'iq' && t.attrs.type === 'error' && asked.some((a) => a.attrs.id === t.attrs.id && a.peer === t.peer),
      );
    });
    expect(answered).toBeDefined();
    await stray.stop();
  });

  it('lists /admin/pair in the OpenAPI document', async () => {
    const doc = await api<{ paths: Record<string, { post?: { requestBody?: unknown } }> }>(emu, 'GET', '/openapi.json');
    expect(doc.body.paths['/admin/pair']?.post?.requestBody).toBeDefined();
  });
});

describe('pending pairing-code requests', () => {
  const session = (state: WireSession['state'] = 'pairing') => ({ state }) as WireSession;
  const pending = (phone: string, s: WireSession, createdAt: number, ref = Math.random().toString(36)): PendingCodePairing => ({
    ref,
    phone,
    session: s,
    wrappedCompanionEphemeral: Buffer.alloc(80),
    noiseKey: Buffer.alloc(32),
    platform: 'test',
    createdAt,
    attempts: 0,
    busy: false,
    onFinish: undefined,
    onDrop: undefined,
  });

  it('keeps a few per account (the oldest goes), one per connection, and forgets them after 3 minutes', () => {
    let now = 1_000_000;
    const store = new CodePairings(() => now);
    const sessions = Array.from({ length: LIMITS.codePairingsPerAccount + 1 }, () => session());
    const all = sessions.map((s, i) => pending(ALICE, s, now + i, `ref${i}`));
    for (const p of all) store.add(p);
    expect(store.forPhone(ALICE).map((p) => p.ref)).toEqual(
      all
        .slice(1)
        .reverse()
        .map((p) => p.ref),
    );
    expect(store.get('ref0')).toBeUndefined();

    // the same connection asking again replaces its request
    const again = pending(ALICE, sessions[3]!, now, 'ref3b');
    store.add(again);
    expect(store.forPhone(ALICE).map((p) => p.ref)).toEqual(['ref3b', 'ref2', 'ref1']);

    // a closed connection's request is gone
    (sessions[1] as { state: string }).state = 'closed';
    expect(store.forPhone(ALICE).map((p) => p.ref)).toEqual(['ref3b', 'ref2']);

    let dropped = false;
    again.onDrop = () => (dropped = true);
    now += LIMITS.codePairingTtlMs + 10;
    expect(store.forPhone(ALICE)).toEqual([]);
    expect(store.get('ref3b')).toBeUndefined();
    expect(dropped).toBe(true);
    expect(store.size).toBe(0);
  });

  it('wraps keys with the code the way Baileys unwraps them (PBKDF2, AES-CTR)', async () => {
    const key = Buffer.alloc(32, 7);
    const wrapped = await wrapKey(key, 'ABCDEFGH');
    expect(wrapped).toHaveLength(80);
    expect(await unwrapKey(wrapped, 'ABCDEFGH')).toEqual(key);
    expect(await unwrapKey(wrapped, 'ABCDEFGJ')).not.toEqual(key);
  });
});

async function pollApi<T>(
  emu: RunningEmulator,
  phone: string,
  pick: (b: { received: Array<{ id: string; from: string; text: string | null }> }) => T | undefined,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await api<{ received: Array<{ id: string; from: string; text: string | null }> }>(emu, 'GET', `/admin/accounts/${phone}/messages`);
    const found = pick(res.body);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for a message at ${phone}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

type Traffic = Array<{ direction: string; tag: string; peer: string; attrs: Record<string, string>; child?: string }>;
async function pollTraffic<T>(emu: RunningEmulator, pick: (items: Traffic) => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await api<{ traffic: Traffic }>(emu, 'GET', '/admin/traffic?limit=500');
    const found = pick(res.body.traffic);
    if (found) return found;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 30));
  }
}
