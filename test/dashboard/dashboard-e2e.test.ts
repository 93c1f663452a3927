import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { EmulatorAdminClient } from '@wuts/wa-emulator';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, createTenant, type TenantFixture } from '../helpers/factories.js';
import { until } from '../helpers/wait.js';
import { accountMessages, createAccount, jidOf, startWorld, type MessagingWorld } from '../messages/world.js';
import { expectDashboardBuilt, listen, openDashboard, pageToken, signIn } from './dashboard-page.js';

// The dashboard in Chromium against WUTS on a real port and the WhatsApp emulator: an admin
// links a device by its QR code and chats with the emulator's peer account, all live.
const A = '5511900000101';
const B = '5511900000102';

let w: MessagingWorld;
let base: string;
let browser: Browser;
let tenant: TenantFixture;
let emu: EmulatorAdminClient;

beforeAll(async () => {
  w = await startWorld();
  expectDashboardBuilt(w.t);
  emu = new EmulatorAdminClient(w.emu);
  await createAccount(w.emu, A, 'Loja A');
  await createAccount(w.emu, B, 'Cliente B');
  tenant = await createTenant(w.t, 'Loja do Painel');
  base = await listen(w.t);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await w?.close();
}, 60_000);

describe('the dashboard, end to end', () => {
  it('links a device by its QR code, then sends, sees the status turn to read, and receives a reply, all without reloading', async () => {
    // A Portuguese browser gets the Portuguese dashboard.
    const { page, outside } = await openDashboard(browser, base, { locale: 'pt-BR', viewport: { width: 1280, height: 800 } });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Entrar no WUTS');
    await signIn(page, tenant.adminEmail, PASSWORD);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Aparelhos');
    await page.getByTestId('live-state').and(page.locator('[data-state=live]')).waitFor();
    // Anything that reloads the page would drop this mark.
    await page.evaluate(() => ((globalThis as unknown as { mark: number }).mark = 42));

    await page.locator('input[name=device-name]').fill('Balcão');
    await page.getByRole('button', { name: 'Criar' }).click();
    const card = page.getByTestId('device').filter({ hasText: 'Balcão' });
    await expect.poll(() => card.getByTestId('device-status').getAttribute('data-status')).toBe('created');
    const deviceId = (await card.getAttribute('data-device-id'))!;
    await card.locator('[data-action=connect]').click();

    // The page shows the QR code the API gave (a PNG); the emulator's phone scans its content.
    const qr = card.getByTestId('qr-image');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,iVBOR/);
    const qrText = (await qr.getAttribute('data-qr'))!;
    expect(qrText).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    await expect.poll(() => card.getByTestId('device-status').getAttribute('data-status')).toBe('qr');
    await screenshot(page, 'dashboard-devices-qr');
    await emu.link(qrText, A);

    await expect.poll(() => card.getByTestId('device-status').getAttribute('data-status'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => card.getByTestId('device-phone').textContent()).toBe(`+${A}`);
    expect(await card.getByTestId('link-panel').count()).toBe(0);
    await screenshot(page, 'dashboard-devices');

    // A new chat with B, from the device's card.
    await card.getByRole('link', { name: 'Conversas' }).click();
    await page.locator('input[name=new-chat]').fill(B);
    await page.getByRole('button', { name: 'Abrir' }).click();
    await page
      .getByTestId('chat-view')
      .and(page.locator(`[data-chat="${jidOf(B)}"]`))
      .waitFor();
    await page.locator('textarea[name=message]').fill('Olá B, aqui é o painel 👋');
    await page.getByRole('button', { name: 'Enviar' }).click();

    const sent = page.getByTestId('message').filter({ hasText: 'Olá B, aqui é o painel' });
    await sent.waitFor();
    const received = await until('B received the message', async () =>
      (await accountMessages(w, B)).received.find((m) => m.text === 'Olá B, aqui é o painel 👋'),
    );
    expect(received.from).toBe(A);
    await expect.poll(() => sent.getByTestId('message-status').getAttribute('data-status'), { timeout: 20_000 }).toBe('delivered');
    await emu.markRead(B, [received.id]);
    await expect.poll(() => sent.getByTestId('message-status').getAttribute('data-status'), { timeout: 20_000 }).toBe('read');
    await expect.poll(() => sent.getByTestId('message-status').textContent()).toContain('Lida');

    // B answers: the reply shows up live.
    await emu.send(B, { to: A, text: 'Oi! Recebi, obrigado.' });
    const replyFirst = page.getByTestId('message').filter({ hasText: 'Oi! Recebi, obrigado.' });
    await replyFirst.waitFor({ timeout: 20_000 });
    expect(await replyFirst.getAttribute('data-direction')).toBe('inbound');
    // Its own bubble (a reply quoting it will hold its text too).
    const reply = page.locator(`[data-message-id="${(await replyFirst.getAttribute('data-message-id'))!}"]`);

    // A reply quoting B's message, and a reaction to it, reach B.
    await reply.locator('[data-action=reply]').click();
    await page.getByTestId('replying-to').waitFor();
    await page.locator('textarea[name=message]').fill('Por nada!');
    await page.locator('textarea[name=message]').press('Enter');
    await page.getByTestId('message').filter({ hasText: 'Por nada!' }).locator('.quoted').filter({ hasText: 'Oi! Recebi' }).waitFor();
    await reply.locator('[data-action=react]').click();
    await reply.locator('[data-emoji="👍"]').click();
    await expect.poll(() => reply.getByTestId('reactions').textContent()).toContain('👍');
    await until('B received the reply quoting its message, and the reaction on its message', async () => {
      const { received, sent: bSent } = await accountMessages(w, B);
      const original = bSent.find((m) => m.text === 'Oi! Recebi, obrigado.');
      const quoting = received.find((m) => m.text === 'Por nada!');
      return (
        original && quoting?.quoted_id === original.id && original.reactions.some((r: { from: string; emoji: string }) => r.from === A && r.emoji === '👍')
      );
    });

    // The chat list shows the conversation; nothing reloaded the page, nothing left 127.0.0.1.
    await page
      .getByTestId('chat')
      .and(page.locator(`[data-jid="${jidOf(B)}"]`))
      .waitFor();
    await screenshot(page, 'dashboard-chats');
    expect(await page.evaluate(() => (globalThis as unknown as { mark?: number }).mark)).toBe(42);

    // The same calls the page makes answer the API's JSON with the page's token.
    const token = await pageToken(page);
    const chats = (await w.t.call('GET', `/devices/${deviceId}/chats`, token)).json();
    expect(chats.chats.map((c: { jid: string }) => c.jid)).toContain(jidOf(B));

    // On a phone's screen, the conversation takes the whole width, with a way back to the list.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.chat-head .back').waitFor();
    expect(await page.locator('.chat-list').isVisible()).toBe(false);
    await screenshot(page, 'dashboard-chats-phone');
    expect(outside).toEqual([]);
  }, 150_000);
});
