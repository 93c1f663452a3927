import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { offlineContext, type OfflineContext } from '../helpers/browser.js';

/** The dashboard the browser tests open is the real build (`npm run build` makes it). */
export function expectDashboardBuilt(t: TestApp): void {
  const index = path.join(t.deps.config.dashboardDir, 'index.html');
  expect(fs.existsSync(index), `${index} is missing: run npm run build`).toBe(true);
}

/** WUTS on a real port of 127.0.0.1; answers its base URL. */
export async function listen(t: TestApp): Promise<string> {
  return t.app.listen({ port: 0, host: '127.0.0.1' });
}

export interface OpenDashboard extends OfflineContext {
  page: Page;
}

/** A new offline browser context (only 127.0.0.1 is reachable) with the dashboard open at `/`. */
export async function openDashboard(
  browser: Browser,
  base: string,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<OpenDashboard> {
  const offline = await offlineContext(browser, options);
  offline.context.setDefaultTimeout(20_000);
  const page = await offline.context.newPage();
  await page.goto(base + '/');
  return { ...offline, page };
}

/** Signs in through the form with email and password, and waits for the shell. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await page.getByTestId('sign-out').waitFor();
}

/** The nav entries shown, by page segment. */
export async function navEntries(page: Page): Promise<string[]> {
  await page.locator('nav [data-nav]').first().waitFor();
  return page.locator('nav [data-nav]').evaluateAll((links) => links.map((a) => a.getAttribute('data-nav') ?? ''));
}

/** The token the page signed in with (sessionStorage), for calls made from the page's own context. */
export async function pageToken(page: Page): Promise<string> {
  // A string, run in the page: the test's TypeScript has no DOM types.
  return page.evaluate<string>("JSON.parse(sessionStorage.getItem('wuts.session') ?? '{}').token");
}
