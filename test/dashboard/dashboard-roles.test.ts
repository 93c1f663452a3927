import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, createTenant, createUser } from '../helpers/factories.js';
import {
  acceptDialogs,
  documentLanguage,
  expectDashboardBuilt,
  listen,
  navEntries,
  openDashboard,
  pageToken,
  signIn,
  storedSession,
} from './dashboard-page.js';

// The dashboard in Chromium against WUTS on a real port (no WhatsApp needed): what each role is
// offered, the operator's sign-in, a suspension signing an open dashboard out, and the languages.
let t: TestApp;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp();
  expectDashboardBuilt(t);
  base = await listen(t);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
}, 60_000);

describe('the dashboard: roles, sign-out and languages', () => {
  it('offers an agent no user or webhook management, and the API refuses it from the page anyway', async () => {
    const tenant = await createTenant(t);
    const agent = await createUser(t, tenant, 'agent');
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    await signIn(page, agent.email, PASSWORD);
    expect(await navEntries(page)).toEqual(['devices', 'chats', 'contacts', 'tokens']);
    await expect.poll(() => page.getByTestId('who').textContent()).toContain('(Agent)');
    // No device management either: no create form, and nothing to connect.
    await expect.poll(() => page.locator('h1').textContent()).toBe('Devices');
    expect(await page.locator('input[name=device-name]').count()).toBe(0);

    // Typed into the address bar, the users page is refused by the dashboard...
    await page.goto(base + '/#/users');
    await expect.poll(() => page.locator('main').textContent()).toContain('Your role may not open this page.');
    // ...and by the API, called from the page's own context with its token.
    const token = await pageToken(page);
    const answers = await page.evaluate(async (bearer) => {
      const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
      const users = await fetch('/users', { headers });
      const hooks = await fetch('/webhooks', { headers });
      const create = await fetch('/users', {
        method: 'POST',
        headers,
        body: JSON.stringify({ email: 'x@example.test', password: 'password-123', role: 'viewer' }),
      });
      return [
        { status: users.status, body: await users.json() },
        { status: hooks.status, body: await hooks.json() },
        { status: create.status, body: await create.json() },
      ];
    }, token);
    for (const answer of answers) expect(answer).toMatchObject({ status: 403, body: { success: false, code: 'forbidden' } });
    // The agent is still signed in: a 403 of a refused action does not end the session.
    expect(await page.getByTestId('sign-out').count()).toBe(1);
    expect(outside).toEqual([]);
  });

  it("signs an open dashboard out with the reason when the operator suspends the user's tenant", async () => {
    const tenant = await createTenant(t);
    const admin = await openDashboard(browser, base, { locale: 'en-US' });
    await signIn(admin.page, tenant.adminEmail, PASSWORD);
    await admin.page.getByTestId('live-state').and(admin.page.locator('[data-state=live]')).waitFor();
    expect(await navEntries(admin.page)).toEqual(['devices', 'chats', 'contacts', 'users', 'webhooks', 'tokens', 'audit']);

    // The operator signs in with the master token: the platform side only.
    const operator = await openDashboard(browser, base, { locale: 'en-US' });
    await operator.page.getByRole('button', { name: 'Platform operator? Sign in with the master token' }).click();
    await operator.page.locator('input[name=master-token]').fill('not-the-master-token');
    await operator.page.locator('button[type=submit]').click();
    await expect.poll(() => operator.page.getByRole('alert').textContent()).toBe('This is not the master token.');
    await operator.page.locator('input[name=master-token]').fill(t.masterToken);
    await operator.page.locator('button[type=submit]').click();
    expect(await navEntries(operator.page)).toEqual(['tenants']);
    await expect.poll(() => operator.page.getByTestId('who').textContent()).toContain('Platform operator');

    // The operator suspends the tenant on the Tenants page: the admin's open page signs out by itself and says why.
    const questions = acceptDialogs(operator.page);
    const row = operator.page.locator(`[data-testid=tenant][data-tenant-id="${tenant.tenantId}"]`);
    await row.locator('[data-action=suspend]').click();
    await expect.poll(() => row.getAttribute('data-active')).toBe('false');
    expect(questions.at(-1)).toContain('Suspend');
    expect((await t.call('GET', `/tenants/${tenant.tenantId}`, t.masterToken)).json().tenant.active).toBe(false);
    await admin.page.getByTestId('signout-reason').waitFor({ timeout: 20_000 });
    expect(await admin.page.getByTestId('signout-reason').textContent()).toBe('You were signed out: your organization (tenant) is suspended.');
    expect(await storedSession(admin.page)).toBeNull();
    await screenshot(admin.page, 'dashboard-signed-out');
    // Signing in again is refused while suspended.
    await admin.page.locator('input[name=email]').fill(tenant.adminEmail);
    await admin.page.locator('input[name=password]').fill(PASSWORD);
    await admin.page.locator('button[type=submit]').click();
    await expect.poll(() => admin.page.locator('.error').textContent()).toContain('tenant is suspended');

    // The operator signs out: the master token is forgotten.
    await operator.page.getByTestId('sign-out').click();
    await operator.page.locator('input[name=master-token], input[name=email]').first().waitFor();
    expect(await storedSession(operator.page)).toBeNull();
    expect([...admin.outside, ...operator.outside]).toEqual([]);
  }, 60_000);

  it('switches from English to Portuguese and back; the choice is kept across a reload', async () => {
    const tenant = await createTenant(t);
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in to WUTS');
    await signIn(page, tenant.adminEmail, PASSWORD);
    const navText = () => page.locator('nav').innerText();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Devices');
    expect(await navText()).toContain('Webhooks');
    expect(await navText()).toContain('Audit log');

    await page.getByTestId('language').selectOption('pt-BR');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Aparelhos');
    expect(await navText()).toContain('Conversas');
    expect(await navText()).toContain('Auditoria');
    expect(await page.getByTestId('sign-out').textContent()).toBe('Sair');
    expect(await documentLanguage(page)).toBe('pt-BR');

    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Aparelhos');

    await page.getByTestId('language').selectOption('en');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Devices');
    expect(await navText()).toContain('Chats');
    expect(await page.getByTestId('sign-out').textContent()).toBe('Sign out');
    expect(outside).toEqual([]);
  });

  it('signs out when the session is revoked elsewhere, saying why; signing out revokes the token', async () => {
    const tenant = await createTenant(t);
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    await signIn(page, tenant.adminEmail, PASSWORD);
    await page.getByTestId('live-state').and(page.locator('[data-state=live]')).waitFor();
    const revoked = await pageToken(page);
    // The same token ended through the API (as another tab or a script would): the page notices.
    expect((await t.call('POST', '/logout', revoked)).statusCode).toBe(200);
    await page.getByTestId('signout-reason').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('signout-reason').textContent()).toBe('You were signed out: your session expired or was revoked.');

    // Signing in again and out with the button: the token no longer works.
    await signIn(page, tenant.adminEmail, PASSWORD);
    const token = await pageToken(page);
    expect((await t.call('GET', '/me', token)).statusCode).toBe(200);
    await page.getByTestId('sign-out').click();
    await page.locator('input[name=email]').waitFor();
    expect(await page.getByTestId('signout-reason').count()).toBe(0);
    await expect.poll(async () => (await t.call('GET', '/me', token)).statusCode).toBe(401);
    expect(outside).toEqual([]);
  }, 60_000);

  it('offers a supervisor connecting and disconnecting devices, but not creating, logging out or deleting them', async () => {
    const tenant = await createTenant(t);
    const created = await t.call('POST', '/devices', tenant.adminToken, { name: 'Recepção' });
    expect(created.statusCode, created.body).toBe(201);
    const supervisor = await createUser(t, tenant, 'supervisor');
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    await signIn(page, supervisor.email, PASSWORD);
    expect(await navEntries(page)).toEqual(['devices', 'chats', 'contacts', 'users', 'webhooks', 'tokens']);
    const card = page.getByTestId('device').filter({ hasText: 'Recepção' });
    await card.waitFor();
    expect(await card.locator('[data-action=connect]').count()).toBe(1);
    expect(await card.locator('[data-action=delete], [data-action=logout]').count()).toBe(0);
    expect(await page.locator('input[name=device-name]').count()).toBe(0);
    expect(outside).toEqual([]);
  });
});
