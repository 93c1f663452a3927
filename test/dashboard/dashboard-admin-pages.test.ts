import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { upsertContact } from '../../src/messages/repo.js';
import { nowIso } from '../../src/lib/time.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, createTenant, createUser } from '../helpers/factories.js';
import { startReceiver, type WebhookReceiver } from '../helpers/receiver.js';
import { acceptDialogs, expectDashboardBuilt, listen, navEntries, openDashboard, signIn } from './dashboard-page.js';

// The dashboard's management pages in Chromium against WUTS on a real port, with the webhook
// dispatcher running and a real receiver on 127.0.0.1 (no WhatsApp needed): an admin manages
// users, a webhook, an API token and reads the audit log; the operator manages tenants.
let t: TestApp;
let base: string;
let browser: Browser;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // A failed attempt is tried again only after an hour: the page's "Deliver again" is what sends it.
  t = await createTestApp({ allowPrivateWebhooks: true, webhookRetryScheduleMs: [0, 3_600_000] }, {}, { dispatcher: true });
  expectDashboardBuilt(t);
  receiver = await startReceiver();
  base = await listen(t);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await t?.close();
}, 60_000);

/** Opens a dashboard page by its address and waits for its title. */
async function open(page: Page, segment: string, title: string): Promise<void> {
  const link = page.locator(`nav [data-nav=${segment}]`);
  // On a phone the nav is a drawer behind the menu button.
  if (!(await link.isVisible())) await page.locator('.menu-button').click();
  await link.click();
  await expect.poll(() => page.locator('main h1').textContent()).toBe(title);
}

/** Every `window.confirm` is accepted (and its question kept), as a user clicking OK. */
async function meStatus(token: string): Promise<{ status: number; body: { user?: { email: string } } }> {
  const res = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { user?: { email: string } } };
}

describe('the dashboard: users, webhooks, tokens and audit (an admin)', () => {
  it('creates a user, changes its role, deactivates, reactivates and deletes it; the API agrees', async () => {
    const tenant = await createTenant(t);
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    const questions = acceptDialogs(page);
    await signIn(page, tenant.adminEmail, PASSWORD);
    await page.getByTestId('live-state').and(page.locator('[data-state=live]')).waitFor();
    await open(page, 'users', 'Users and roles');
    // The admin itself is listed, marked, with nothing to change on it.
    const self = page.locator(`[data-testid=user][data-email="${tenant.adminEmail}"]`);
    await expect.poll(() => self.textContent()).toContain('You');
    expect(await self.locator('button, select').count()).toBe(0);

    const email = `new-agent-${Date.now()}@example.test`;
    await page.locator('input[name=user-email]').fill(email);
    await page.locator('input[name=user-password]').fill('a-good-password');
    await page.locator('select[name=user-role]').selectOption('agent');
    await page.getByRole('button', { name: 'Create user' }).click();
    const row = page.locator(`[data-testid=user][data-email="${email}"]`);
    await expect.poll(() => row.getAttribute('data-role')).toBe('agent');
    const userId = (await row.getAttribute('data-user-id'))!;

    await row.locator('select[data-action=role]').selectOption('supervisor');
    await expect.poll(() => row.getAttribute('data-role')).toBe('supervisor');
    const read = await t.call('GET', `/users/${userId}`, tenant.adminToken);
    expect(read.json().user).toMatchObject({ email, role: 'supervisor', active: true });

    // The new user signs in through the API; deactivated from the page, its token stops working.
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a-good-password' }),
    });
    const { token } = (await login.json()) as { token: string };
    expect((await meStatus(token)).status).toBe(200);
    await row.locator('[data-action=deactivate]').click();
    await expect.poll(() => row.getAttribute('data-active')).toBe('false');
    expect((await meStatus(token)).status).toBe(401);
    await row.locator('[data-action=reactivate]').click();
    await expect.poll(() => row.getAttribute('data-active')).toBe('true');
    expect((await meStatus(token)).status).toBe(200);

    // A change made elsewhere (the API) shows up live.
    const other = await createUser(t, tenant, 'viewer');
    await expect.poll(() => page.locator(`[data-testid=user][data-email="${other.email}"]`).getAttribute('data-role')).toBe('viewer');
    await screenshot(page, 'dashboard-users');

    // Deleted from the page (after the confirmation): gone from the list, its token refused.
    const otherRow = page.locator(`[data-testid=user][data-email="${other.email}"]`);
    await otherRow.locator('[data-action=delete]').click();
    await expect.poll(() => otherRow.count()).toBe(0);
    expect(questions.at(-1)).toContain(other.email);
    expect((await t.call('GET', `/users/${other.id}`, tenant.adminToken)).statusCode).toBe(404);
    expect((await meStatus(other.token)).status).toBe(401);

    // The audit log lists what the page did to the new user, newest first.
    await open(page, 'audit', 'Audit log');
    const onUser = page.locator(`[data-testid=audit-entry][data-target-id="${userId}"]`);
    await expect
      .poll(() => onUser.evaluateAll((entries) => entries.map((e) => e.getAttribute('data-action'))))
      .toEqual(['user.update', 'user.update', 'user.update', 'user.create']);
    expect(outside).toEqual([]);
  });

  it('creates a webhook to a receiver, sends a test event it receives signed, lists the delivery, rotates the secret; an API token is made, used and revoked; the audit log shows it all', async () => {
    const tenant = await createTenant(t);
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    acceptDialogs(page);
    await signIn(page, tenant.adminEmail, PASSWORD);

    // ---- webhooks ----
    await open(page, 'webhooks', 'Webhooks');
    await page.locator('input[name=webhook-url]').fill(receiver.url);
    await page.locator('input[name=webhook-description]').fill('CRM');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const card = page.locator(`[data-testid=webhook][data-url="${receiver.url}"]`);
    await expect.poll(() => card.getAttribute('data-enabled')).toBe('true');
    const webhookId = (await card.getAttribute('data-webhook-id'))!;
    expect(await card.getByTestId('webhook-events').textContent()).toBe('All events');

    await card.locator('[data-action=show-secret]').click();
    const secret = (await card.getByTestId('webhook-secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    receiver.setSecrets(secret);

    await card.locator('[data-action=test]').click();
    await receiver.waitFor((r) => r.requests.some((q) => q.payload?.type === 'webhook.test'), 15_000, 'the test event');
    const test = receiver.requests.find((q) => q.payload?.type === 'webhook.test')!;
    expect(test.verified).toBe(true);
    expect(test.payload?.data).toMatchObject({ webhook_id: webhookId });
    // The delivery is listed (the open list polls) as delivered, with its one attempt.
    const delivery = card.locator(`[data-testid=delivery][data-event-type="webhook.test"]`);
    await expect.poll(() => delivery.getAttribute('data-status'), { timeout: 15_000 }).toBe('succeeded');
    expect(await delivery.getByTestId('delivery-attempts').textContent()).toBe('1 attempt(s)');

    // Rotation: a new secret, the old one shown as still signing; the API gives the same.
    await card.locator('[data-action=rotate-secret]').click();
    await expect.poll(() => card.getByTestId('webhook-previous-secret').textContent()).toBe(secret);
    const rotated = (await card.getByTestId('webhook-secret').textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    const stored = await t.call('GET', `/webhooks/${webhookId}/secret`, tenant.adminToken);
    expect(stored.json()).toMatchObject({ secret: rotated, previous_secret: secret });

    // Disabled from the page, then enabled again.
    await card.locator('[data-action=disable]').click();
    await expect.poll(() => card.getAttribute('data-enabled')).toBe('false');
    await card.locator('[data-action=enable]').click();
    await expect.poll(() => card.getAttribute('data-enabled')).toBe('true');
    await screenshot(page, 'dashboard-webhooks');

    // ---- API tokens ----
    await open(page, 'tokens', 'API tokens');
    // The session the page uses is listed as such.
    await page.locator('[data-testid=token]').filter({ hasText: 'This session' }).waitFor();
    await page.locator('input[name=token-name]').fill('CRM integration');
    await page.getByRole('button', { name: 'Create token' }).click();
    const tokenValue = page.getByTestId('token-value');
    await tokenValue.waitFor();
    const apiToken = (await tokenValue.textContent())!;
    expect(apiToken).toMatch(/^wuts_tok_/);
    const me = await meStatus(apiToken);
    expect(me).toMatchObject({ status: 200, body: { user: { email: tenant.adminEmail } } });
    const tokenRow = page.locator('[data-testid=token][data-name="CRM integration"]');
    await expect.poll(() => tokenRow.getByTestId('token-last4').textContent()).toBe(`…${apiToken.slice(-4)}`);
    await screenshot(page, 'dashboard-tokens');
    await page.getByRole('button', { name: 'Done, I copied it' }).click();
    expect(await tokenValue.count()).toBe(0);
    await tokenRow.locator('[data-action=revoke]').click();
    await expect.poll(() => tokenRow.count()).toBe(0);
    expect((await meStatus(apiToken)).status).toBe(401);

    // ---- audit log ----
    await open(page, 'audit', 'Audit log');
    const actions = () => page.getByTestId('audit-entry').evaluateAll((entries) => entries.map((e) => e.getAttribute('data-action')));
    await expect.poll(actions).toEqual(expect.arrayContaining(['webhook.create', 'webhook.rotate_secret', 'webhook.update', 'token.create', 'token.revoke']));
    const rotation = page.locator(`[data-testid=audit-entry][data-action="webhook.rotate_secret"]`);
    expect(await rotation.getAttribute('data-target-id')).toBe(webhookId);
    expect(await rotation.getByTestId('audit-actor').textContent()).toBe(`By ${tenant.adminEmail} (Admin)`);
    await page.locator('input[name=audit-action]').fill('webhook.update');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(actions).toEqual(['webhook.update', 'webhook.update']);
    await screenshot(page, 'dashboard-audit');
    // No secret reached the log: the rotation's entry does not carry it.
    const log = await t.call('GET', '/audit?limit=100', tenant.adminToken);
    expect(log.body).not.toContain(rotated);
    expect(log.body).not.toContain(apiToken);
    expect(outside).toEqual([]);
  }, 90_000);

  it('retries a failed delivery from the page: it is delivered at once', async () => {
    const tenant = await createTenant(t);
    const created = await t.call('POST', '/webhooks', tenant.adminToken, { url: receiver.url, event_types: ['webhook.test'] });
    expect(created.statusCode, created.body).toBe(201);
    const webhookId = created.json().webhook.id as string;
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US', viewport: { width: 390, height: 844 } });
    await signIn(page, tenant.adminEmail, PASSWORD);
    await open(page, 'webhooks', 'Webhooks');
    const card = page.locator(`[data-testid=webhook][data-webhook-id="${webhookId}"]`);
    expect(await card.getByTestId('webhook-events').textContent()).toBe('webhook.test');

    receiver.respondWith('error');
    try {
      await card.locator('[data-action=test]').click();
      const delivery = card.locator('[data-testid=delivery]');
      await expect.poll(() => delivery.getByTestId('delivery-attempts').textContent(), { timeout: 15_000 }).toBe('1 attempt(s)');
      expect(await delivery.getAttribute('data-status')).toBe('pending');
      expect(await delivery.textContent()).toContain('HTTP 500');
      receiver.respondWith('ok');
      await delivery.locator('[data-action=retry]').click();
      await expect.poll(() => delivery.getAttribute('data-status'), { timeout: 15_000 }).toBe('succeeded');
      expect(await delivery.getByTestId('delivery-attempts').textContent()).toBe('2 attempt(s)');
      // The webhook's own state follows its deliveries: its last success is now known.
      await expect.poll(() => card.getByTestId('webhook-last-success').textContent()).not.toBe('Last success: —');
      await delivery.locator('summary').click();
      await expect
        .poll(() => delivery.locator('.attempts li').allTextContents())
        .toEqual([expect.stringContaining('HTTP 204'), expect.stringContaining('HTTP 500')]);
      await screenshot(page, 'dashboard-webhooks-phone');
    } finally {
      receiver.respondWith('ok');
    }
    const log = await t.call('GET', '/audit?action=delivery.retry', tenant.adminToken);
    expect(log.json().entries).toHaveLength(1);
    expect(outside).toEqual([]);
  });

  it('offers a supervisor what the policy gives it: agents and viewers to manage, webhooks to read, no audit log', async () => {
    const tenant = await createTenant(t);
    const supervisor = await createUser(t, tenant, 'supervisor');
    const agent = await createUser(t, tenant, 'agent');
    const hook = await t.call('POST', '/webhooks', tenant.adminToken, { url: receiver.url });
    expect(hook.statusCode, hook.body).toBe(201);
    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    await signIn(page, supervisor.email, PASSWORD);
    expect(await navEntries(page)).toEqual(['devices', 'chats', 'contacts', 'users', 'webhooks', 'tokens']);

    await open(page, 'users', 'Users and roles');
    const options = (select: string) =>
      page
        .locator(select)
        .locator('option')
        .evaluateAll((list) => list.map((o) => o.getAttribute('value')));
    expect(await options('select[name=user-role]')).toEqual(['agent', 'viewer']);
    const adminRow = page.locator(`[data-testid=user][data-email="${tenant.adminEmail}"]`);
    const agentRow = page.locator(`[data-testid=user][data-email="${agent.email}"]`);
    await agentRow.waitFor();
    expect(await adminRow.locator('button, select').count()).toBe(0);
    expect(await options(`[data-testid=user][data-email="${agent.email}"] select[data-action=role]`)).toEqual(['agent', 'viewer']);
    await agentRow.locator('select[data-action=role]').selectOption('viewer');
    await expect.poll(() => agentRow.getAttribute('data-role')).toBe('viewer');

    await open(page, 'webhooks', 'Webhooks');
    const card = page.locator(`[data-testid=webhook][data-webhook-id="${hook.json().webhook.id}"]`);
    await card.waitFor();
    expect(await page.getByTestId('new-webhook').count()).toBe(0);
    expect(await card.locator('[data-action]').evaluateAll((list) => list.map((b) => b.getAttribute('data-action')))).toEqual(['deliveries']);
    await card.locator('[data-action=deliveries]').click();
    // The role change above was an event, delivered to the webhook: listed, with nothing to retry.
    const delivery = card.locator('[data-testid=delivery][data-event-type="user.updated"]');
    await expect.poll(() => delivery.getAttribute('data-status'), { timeout: 15_000 }).toBe('succeeded');
    expect(await delivery.locator('[data-action=retry]').count()).toBe(0);
    expect(outside).toEqual([]);
  });

  it("lists a device's contacts, finds one by name or number, and opens its chat (phone screen, Portuguese)", async () => {
    const tenant = await createTenant(t);
    const device = await t.call('POST', '/devices', tenant.adminToken, { name: 'Balcão' });
    expect(device.statusCode, device.body).toBe(201);
    const deviceId = device.json().device.id as string;
    // Contacts are what the device learned from WhatsApp; written here as the receiving path writes them.
    for (const [phone, name] of [
      ['5511911110001', 'Ana Souza'],
      ['5511911110002', 'Bruno Lima'],
      ['5511911110003', null],
    ] as const) {
      await upsertContact(t.deps.db.kysely, tenant.tenantId, deviceId, { jid: `${phone}@s.whatsapp.net`, phone, name, at: nowIso() });
    }
    const { page, outside } = await openDashboard(browser, base, { locale: 'pt-BR', viewport: { width: 390, height: 844 } });
    await signIn(page, tenant.adminEmail, PASSWORD);
    await page.goto(`${base}/#/contacts`);
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Contatos');
    const jids = () => page.getByTestId('contact').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-jid')));
    await expect.poll(jids).toHaveLength(3);
    await screenshot(page, 'dashboard-contacts');

    const search = page.locator('input[name=contact-search]');
    await search.fill('bruno');
    await expect.poll(jids).toEqual(['5511911110002@s.whatsapp.net']);
    await search.fill('+55 11 91111-0003');
    await expect.poll(jids).toEqual(['5511911110003@s.whatsapp.net']);
    await search.fill('ninguém');
    await expect.poll(() => page.locator('main').textContent()).toContain('Nenhum contato corresponde.');
    await search.fill('ana');
    await page.getByTestId('contact').getByRole('link', { name: 'Abrir conversa' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/chats/${deviceId}/${encodeURIComponent('5511911110001@s.whatsapp.net')}`);
    expect(outside).toEqual([]);
  });
});

describe('the dashboard: tenants (the operator)', () => {
  it('lists tenants with their counts, suspends and reactivates one, deletes another after its name is typed', async () => {
    const kept = await createTenant(t, `Kept ${Date.now()}`);
    await createUser(t, kept, 'agent');
    expect((await t.call('POST', '/devices', kept.adminToken, { name: 'Loja' })).statusCode).toBe(201);
    const doomedName = `Doomed ${Date.now()}`;
    const doomed = await createTenant(t, doomedName);

    const { page, outside } = await openDashboard(browser, base, { locale: 'en-US' });
    const questions = acceptDialogs(page);
    await page.getByRole('button', { name: 'Platform operator? Sign in with the master token' }).click();
    await page.locator('input[name=master-token]').fill(t.masterToken);
    await page.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Tenants');

    const row = page.locator(`[data-testid=tenant][data-tenant-id="${kept.tenantId}"]`);
    await expect.poll(() => row.locator('[data-count=users]').textContent()).toBe('2');
    expect(await row.locator('[data-count=devices]').textContent()).toBe('1');
    expect(await row.locator('[data-count=connected]').textContent()).toBe('0');
    expect(await row.locator('[data-count=media-bytes]').textContent()).toBe('0 B');
    await screenshot(page, 'dashboard-tenants');

    // Suspended: the tenant's admin is refused; reactivated: accepted again.
    await row.locator('[data-action=suspend]').click();
    await expect.poll(() => row.getAttribute('data-active')).toBe('false');
    expect(questions.at(-1)).toContain('Suspend Kept');
    const refused = await meStatus(kept.adminToken);
    expect(refused.status).toBe(403);
    await row.locator('[data-action=reactivate]').click();
    await expect.poll(() => row.getAttribute('data-active')).toBe('true');
    expect((await meStatus(kept.adminToken)).status).toBe(200);

    // Deleting asks for the name: a wrong one keeps the button disabled.
    const doomedRow = page.locator(`[data-testid=tenant][data-tenant-id="${doomed.tenantId}"]`);
    await doomedRow.locator('[data-action=delete]').click();
    const confirm = doomedRow.locator('[data-action=confirm-delete]');
    await doomedRow.locator('input[name=confirm-name]').fill('Doomed');
    expect(await confirm.isDisabled()).toBe(true);
    await doomedRow.locator('input[name=confirm-name]').fill(doomedName);
    await screenshot(page, 'dashboard-tenants-delete');
    await confirm.click();
    await expect.poll(() => doomedRow.count()).toBe(0);
    expect((await t.call('GET', `/tenants/${doomed.tenantId}`, t.masterToken)).statusCode).toBe(404);
    expect((await meStatus(doomed.adminToken)).status).toBe(401);
    expect((await t.call('GET', `/tenants/${kept.tenantId}`, t.masterToken)).json().tenant).toMatchObject({ active: true, user_count: 2 });
    expect(outside).toEqual([]);
  }, 60_000);
});
