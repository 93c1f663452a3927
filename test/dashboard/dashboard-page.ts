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
  /** What the page's console reported as errors (a Content-Security-Policy refusal is one). */
  consoleErrors: string[];
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
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  await page.goto(base + '/');
  return { ...offline, page, consoleErrors };
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

// Expressions evaluated in the page (this project's TypeScript has no DOM types: they are strings).

/** The session the page keeps in sessionStorage (null when signed out). */
export async function storedSession(page: Page): Promise<{ token: string } | null> {
  return JSON.parse(await page.evaluate<string>("sessionStorage.getItem('wuts.session') ?? 'null'"));
}

/** The token the page signed in with, for calls made from the page's own context. */
export async function pageToken(page: Page): Promise<string> {
  const session = await storedSession(page);
  expect(session, 'the page is signed in').not.toBeNull();
  return session!.token;
}

/** The page's document language (`<html lang>`). */
export function documentLanguage(page: Page): Promise<string> {
  return page.evaluate<string>('document.documentElement.lang');
}

/** Leaves a mark on the page's window: a reload or a navigation away loses it. */
export async function markPage(page: Page): Promise<void> {
  await page.evaluate('window.wutsTestMark = 42');
}

export function pageMarked(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('window.wutsTestMark === 42');
}

/** Accepts every confirm() the page asks, keeping the questions (the last one is asserted). */
export function acceptDialogs(page: Page): string[] {
  const questions: string[] = [];
  page.on('dialog', (dialog) => {
    questions.push(dialog.message());
    void dialog.accept();
  });
  return questions;
}
