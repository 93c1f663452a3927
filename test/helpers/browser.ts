import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it when missing); WUTS_TEST_CHROMIUM names another. */
export const CHROMIUM_PATH = process.env.WUTS_TEST_CHROMIUM || '/usr/bin/chromium';

/** Where browser tests save their screenshots (kept out of git; the README shows chosen ones from docs/). */
export const SCREENSHOT_DIR = path.resolve('test-results/screenshots');

/**
 * Headless Chromium as this machine runs it: no sandbox (root in CI), no GPU, and none of the
 * background traffic Chromium starts on its own (the network here is closed to it).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium), as .ci/run does`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface OfflineContext {
  context: BrowserContext;
  /** Every request the pages tried to send to a host other than 127.0.0.1 (refused). */
  outside: string[];
}

/**
 * A browser context that reaches only 127.0.0.1: any other request is aborted and recorded, so a
 * test can assert that a page works offline (no CDN, nothing fetched at run time).
 */
export async function offlineContext(
  browser: Browser,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<OfflineContext> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (local) return route.continue();
    outside.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return { context, outside };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png and answers its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
