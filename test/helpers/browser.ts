// Debian's chromium driven by playwright-core, for the portal's tests: one
// browser per test file, a fresh context (cookies, storage) per session, and
// screenshots kept under .cache/portal-screenshots/ for a person to look at.
// Every page is watched for what must never happen: a dialog opening, an
// uncaught script error, or a request that leaves the collector.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll } from 'vitest';
import { chromiumLaunch } from './chromium.ts';
import { repoRoot } from './cli.ts';

export const screenshotDir = join(repoRoot, '.cache', 'portal-screenshots');

let browser: Browser | undefined;

export async function launchBrowser(): Promise<Browser> {
  if (browser) return browser;
  browser = await chromium.launch(chromiumLaunch);
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });
  return browser;
}

export interface Watched {
  readonly context: BrowserContext;
  readonly page: Page;
  /** What went wrong so far: dialogs, page errors, requests to other origins, CSP violations. */
  readonly incidents: string[];
}

/**
 * A new browser session on the portal at `base`, watched for incidents. With
 * `confirm`, the portal's own confirm() questions (revoke, accept a key) are
 * answered yes; any other dialog is still an incident.
 */
export async function openPortal(base: string, options: { confirm?: boolean } = {}): Promise<Watched> {
  const context = await (await launchBrowser()).newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const incidents: string[] = [];
  const origin = new URL(base).origin;
  page.on('dialog', (dialog) => {
    if (options.confirm && dialog.type() === 'confirm') {
      void dialog.accept();
      return;
    }
    incidents.push(`dialog ${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => incidents.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Trusted Type/i.test(message.text())) incidents.push(`csp: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) {
      incidents.push(`request to another origin: ${url}`);
    }
  });
  return { context, page, incidents };
}

export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/signin`);
  await page.fill('#token', token);
  await page.press('#token', 'Enter');
  await page.waitForSelector('header .who');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
