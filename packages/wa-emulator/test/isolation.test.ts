import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

const PHONES = ['15550003001', '15550003002', '15550003003'];
const jid = (phone: string) => `${phone}@s.whatsapp.net`;

describe('three accounts and companions at once', () => {
  let emu: RunningEmulator;
  let companions: TestCompanion[] = [];

  beforeAll(async () => {
    emu = await startTestEmulator();
    await Promise.all(PHONES.map((p, i) => createAccount(emu, p, `User ${i}`)));
    companions = PHONES.map(() => new TestCompanion(emu.wsUrl));
    await Promise.all(companions.map((c, i) => c.linkTo(emu, PHONES[i]!)));
  });

  afterAll(async () => {
    for (const c of companions) await c.stop();
    await emu?.close();
  });

  it('every companion gets exactly the messages addressed to it, with no cross-talk', async () => {
    // each companion sends one message to each other companion and one to each other account, all at once
    const sends: Array<Promise<{ from: number; to: number; id: string; text: string }>> = [];
    for (let from = 0; from < 3; from++) {
      for (let to = 0; to < 3; to++) {
        if (from === to) continue;
        const text = `from ${from} to ${to}`;
        sends.push(companions[from]!.sock!.sendMessage(jid(PHONES[to]!), { text }).then((m) => ({ from, to, id: m!.key.id!, text })));
      }
    }
    const sent = await Promise.all(sends);
    for (let to = 0; to < 3; to++) {
      const expected = sent.filter((s) => s.to === to);
      const got = await waitFor(`companion ${to} gets ${expected.length}`, () => {
        const mine = companions[to]!.received.filter((m) => !m.key.fromMe && sent.some((s) => s.id === m.key.id));
        return mine.length >= expected.length ? mine : undefined;
      });
      expect(got.map((m) => m.key.id).sort()).toEqual(expected.map((s) => s.id).sort());
      for (const m of got) {
        const s = sent.find((x) => x.id === m.key.id)!;
        expect(m.message?.conversation ?? m.message?.extendedTextMessage?.text).toBe(s.text);
        expect(m.key.remoteJid?.startsWith(PHONES[s.from]!) || m.key.remoteJidAlt?.startsWith(PHONES[s.from]!)).toBe(true);
      }
    }
    // each account's phone stored only what was addressed to it
    for (let to = 0; to < 3; to++) {
      const expected = sent
        .filter((s) => s.to === to)
        .map((s) => s.id)
        .sort();
      let ids: string[] = [];
      for (let i = 0; i < 200 && ids.length < expected.length; i++) {
        const res = await api<{ received: Array<{ id: string; from: string }> }>(emu, 'GET', `/admin/accounts/${PHONES[to]}/messages?limit=500`);
        ids = res.body.received.map((m) => m.id).sort();
        if (ids.length < expected.length) await new Promise((r) => setTimeout(r, 30));
      }
      expect(ids).toEqual(expected);
    }
  });
});
