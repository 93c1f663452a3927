import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/index.js';
import { api, createAccount, startTestEmulator, TestCompanion, waitFor } from './helpers.js';

describe('admin API', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
    await createAccount(emu, '15550004001', 'Frank');
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('creates and lists accounts, each with its own LID', async () => {
    const created = await api<{ success: boolean; account: { phone: string; jid: string; lid: string; name: string; phone_online: boolean } }>(
      emu,
      'POST',
      '/admin/accounts',
      { phone: '15550004002', name: 'Grace' },
    );
    expect(created.status).toBe(201);
    expect(created.body.success).toBe(true);
    expect(created.body.account).toMatchObject({ phone: '15550004002', name: 'Grace', jid: '15550004002@s.whatsapp.net', phone_online: true });
    expect(created.body.account.lid).toMatch(/^\d+@lid$/);
    const list = await api<{ accounts: Array<{ phone: string; lid: string }> }>(emu, 'GET', '/admin/accounts');
    expect(list.body.accounts.map((a) => a.phone).sort()).toEqual(['15550004001', '15550004002']);
    expect(new Set(list.body.accounts.map((a) => a.lid)).size).toBe(2);
  });

  it('answers clear 400, 404 and 409 errors', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/admin/accounts', { phone: '123' }, 400, 'invalid_request'],
      ['POST', '/admin/accounts', { phone: '15550004001' }, 409, 'account_exists'],
      ['POST', '/admin/accounts', { phone: '15550004009', extra: true }, 400, 'invalid_request'],
      ['GET', '/admin/accounts/15559999999', undefined, 404, 'account_not_found'],
      ['POST', '/admin/link', { qr: 'not,a,real,qr', phone: '15550004001' }, 400, 'invalid_qr'],
      [
        'POST',
        '/admin/link',
        {
          qr: `https://wa.me/settings/linked_devices#2@abc,${Buffer.alloc(32).toString('base64')},${Buffer.alloc(32).toString('base64')},c2VjcmV0,WEB`,
          phone: '15550004001',
        },
        404,
        'qr_not_found',
      ],
      ['POST', '/admin/accounts/15550004001/messages', { to: '15559999999', text: 'hi' }, 404, 'recipient_not_found'],
      ['POST', '/admin/accounts/15550004001/messages', { to: '15550004002', text: '' }, 400, 'invalid_request'],
      ['POST', '/admin/accounts/15550004001/messages', { to: '15550004002', text: 'x'.repeat(5000) }, 400, 'invalid_request'],
      ['DELETE', '/admin/accounts/15550004001/devices/0', undefined, 400, 'cannot_unlink_phone'],
      ['GET', '/admin/nothing-here', undefined, 404, 'route_not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await api<{ success: boolean; error: string; code: string }>(emu, method, path, body);
      expect({ method, path, status: res.status, code: res.body.code, success: res.body.success }).toEqual({ method, path, status, code, success: false });
      expect(res.body.error.length).toBeGreaterThan(0);
    }
    const big = await fetch(`${emu.url}/admin/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '15550004010', name: 'x'.repeat(100_000) }),
    });
    expect(big.status).toBe(413);
  });

  it('serves an OpenAPI document of the admin API and the recent traffic', async () => {
    const doc = await api<{ openapi: string; paths: Record<string, unknown> }>(emu, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/admin/accounts',
        '/admin/link',
        '/admin/accounts/{phone}/messages',
        '/admin/accounts/{phone}/read',
        '/admin/accounts/{phone}/devices',
        '/admin/accounts/{phone}/devices/{device}',
        '/admin/traffic',
      ]),
    );
    const traffic = await api<{ traffic: Array<{ tag: string; direction: string }> }>(emu, 'GET', '/admin/traffic?limit=5');
    expect(traffic.body.traffic.length).toBeGreaterThan(0);
    expect(traffic.body.traffic.length).toBeLessThanOrEqual(5);
  });
});

describe('state file', () => {
  it('persists accounts, devices and keys: a companion logs in again after the emulator restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wuts-emu-'));
    const statePath = join(dir, 'state.json');
    let emu = await startTestEmulator(statePath);
    const companions: TestCompanion[] = [];
    try {
      await createAccount(emu, '15550005001', 'Heidi');
      await createAccount(emu, '15550005002', 'Ivan');
      const heidi = new TestCompanion(emu.wsUrl);
      companions.push(heidi);
      await heidi.linkTo(emu, '15550005001');
      const first = await api<{ message: { id: string } }>(emu, 'POST', '/admin/accounts/15550005002/messages', { to: '15550005001', text: 'before restart' });
      await waitFor('Heidi receives', () => heidi.received.find((m) => m.key.id === first.body.message.id));
      await heidi.stop();
      const port = Number(new URL(emu.url).port);
      await emu.close();
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as { accounts: Record<string, unknown> };
      expect(Object.keys(saved.accounts).sort()).toEqual(['15550005001', '15550005002']);

      emu = await startTestEmulator(statePath, port);
      const again = new TestCompanion(emu.wsUrl, heidi.auth.data);
      companions.push(again);
      again.connect();
      await waitFor('Heidi logs in again', () => again.isOpen);
      expect(again.qrCount).toBe(0);
      const second = await api<{ message: { id: string } }>(emu, 'POST', '/admin/accounts/15550005002/messages', { to: '15550005001', text: 'after restart' });
      const got = await waitFor('Heidi decrypts after the restart', () => again.received.find((m) => m.key.id === second.body.message.id));
      expect(got.message?.conversation ?? got.message?.extendedTextMessage?.text).toBe('after restart');
      const reply = await again.sock!.sendMessage('15550005002@s.whatsapp.net', { text: 'welcome back' });
      for (let i = 0; i < 200; i++) {
        const res = await api<{ received: Array<{ id: string; text: string }> }>(emu, 'GET', '/admin/accounts/15550005002/messages');
        if (res.body.received.some((m) => m.id === reply?.key.id)) break;
        await new Promise((r) => setTimeout(r, 30));
      }
      const inbox = await api<{ received: Array<{ id: string; text: string }> }>(emu, 'GET', '/admin/accounts/15550005002/messages');
      expect(inbox.body.received.find((m) => m.id === reply?.key.id)?.text).toBe('welcome back');
    } finally {
      for (const c of companions) await c.stop();
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
