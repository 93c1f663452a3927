import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

describe('smoke', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('links one companion and sends a message', async () => {
    await createAccount(emu, '15550000001', 'Alice');
    await createAccount(emu, '15550000002', 'Bob');
    const a = new TestCompanion(emu.wsUrl);
    await a.linkTo(emu, '15550000001');
    const b = new TestCompanion(emu.wsUrl);
    await b.linkTo(emu, '15550000002');
    const sent = await a.sock!.sendMessage('15550000002@s.whatsapp.net', { text: 'hello bob' });
    await waitFor('bob receives', () => b.textsReceived().includes('hello bob'));
    expect(sent?.key.id).toBeTruthy();
    await a.stop();
    await b.stop();
  });
});
