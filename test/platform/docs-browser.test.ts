import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, offlineContext, screenshot } from '../helpers/browser.js';
import { createTenant } from '../helpers/factories.js';

// The API reference at /docs in a real browser that reaches 127.0.0.1 only: it renders the
// operations from WUTS's own assets, takes a token in its auth box and sends a request.

let t: TestApp;
let base: string;
let browser: Browser;
beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('GET /docs in a browser', () => {
  it('renders every group offline; "Test Request" sends the token typed into the auth box, and uploads a file', { timeout: 120_000 }, async () => {
    const tenant = await createTenant(t);
    const { context, outside } = await offlineContext(browser);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });

    await page.goto(`${base}/docs`, { timeout: 30_000 });
    // The document's groups and the operations of the first one, rendered from /openapi.json.
    const sidebar = page.getByRole('button', { name: /The calling user/ }).first();
    await sidebar.waitFor({ timeout: 30_000 });
    for (const tag of ['auth', 'users', 'devices', 'messages', 'media', 'groups', 'webhooks', 'events', 'audit', 'platform', 'operations']) {
      await page
        .getByRole('button', { name: new RegExp(`^${tag} (Open|Close) Group$`) })
        .first()
        .waitFor({ timeout: 5_000 });
    }
    const testButtons = page.getByRole('button', { name: /^Test Request/ });
    await testButtons.first().waitFor({ timeout: 15_000 });
    expect(await testButtons.count()).toBeGreaterThan(5);
    // `servers` from the document: the origin the page came from.
    await page.getByText(base, { exact: true }).first().waitFor({ timeout: 5_000 });

    // The bearer token box of the reference (the user token scheme is preselected).
    const tokenBox = page.getByPlaceholder('Token').first();
    await tokenBox.fill(tenant.adminToken);
    await sidebar.click();
    await page.getByRole('button', { name: 'Test Request (get /me)' }).click();

    const answered = page.waitForResponse((res) => new URL(res.url()).pathname === '/me', { timeout: 20_000 });
    await page.getByRole('button', { name: /^Send get request to / }).click();
    const response = await answered;
    expect(response.request().headers()['authorization']).toBe(`Bearer ${tenant.adminToken}`);
    expect(response.status()).toBe(200);
    const body = await response.json();
    expect(body).toEqual({ success: true, user: expect.objectContaining({ email: tenant.adminEmail, role: 'admin', tenant_id: tenant.tenantId }) });

    // What the page shows: the status and the body.
    await page.getByText('200 OK').first().waitFor({ timeout: 10_000 });
    await page.getByText(`"${tenant.adminEmail}"`).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'docs');

    // An upload from the reference's form: POST /media with a file picked in the page.
    await page.keyboard.press('Escape');
    await page.goto(`${base}/docs#tag/media/POST/media`);
    await page.getByRole('button', { name: 'Test Request (post /media)' }).click();
    const chooser = page.waitForEvent('filechooser', { timeout: 10_000 });
    await page
      .getByRole('button', { name: /Select File/ })
      .first()
      .click();
    await (await chooser).setFiles({ name: 'pedido-1234.txt', mimeType: 'text/plain', buffer: Buffer.from('Pedido #1234 enviado\n') });
    // The request takes the file in (its code sample names it) before Send builds it.
    await page.getByRole('button', { name: /Code Snippet/ }).click();
    await page.getByText("--form 'file=@pedido-1234.txt'").first().waitFor({ timeout: 10_000 });
    const uploaded = page.waitForResponse((res) => new URL(res.url()).pathname === '/media', { timeout: 20_000 });
    await page.getByRole('button', { name: /^Send post request to / }).click();
    const upload = await uploaded;
    expect(upload.request().headers()['content-type'], `${upload.status()} ${await upload.text()} BODY=${upload.request().postData()}`).toMatch(
      /^multipart\/form-data; boundary=/,
    );
    expect(upload.status()).toBe(201);
    const media = (await upload.json()).media;
    expect(media).toMatchObject({ filename: 'pedido-1234.txt', mime_type: 'text/plain', size: 21 });
    const stored = await t.call('GET', `/media/${media.id}/content`, tenant.adminToken);
    expect(stored.statusCode).toBe(200);
    expect(stored.body).toBe('Pedido #1234 enviado\n');
    await page.getByText('201 Created').first().waitFor({ timeout: 10_000 });

    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
