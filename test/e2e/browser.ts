/**
 * Browser end-to-end helpers: Debian's Chromium driven by playwright-core
 * (never a downloaded browser), pages that record their errors, fresh web
 * assets, and screenshots under test-artifacts/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { timeoutError } from '../helpers/wait.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const artifactsDir = join(repoRoot, 'test-artifacts', 'e2e');

/** How long a page gets to show what a test waits for, unless the test says otherwise. */
export const PAGE_WAIT_MS = 10_000;

/** Chromium binary: Debian's by default, overridable with LIVECHAT_TEST_CHROMIUM. */
export const chromiumPath = process.env['LIVECHAT_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  // launch() gives every run a fresh temporary profile (user-data dir).
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Builds the web assets into dist/web so the server under test serves the current sources. */
export async function buildWebAssets(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(repoRoot, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

export interface TrackedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught page errors and console errors (CSP violations land here too). */
  errors: string[];
  /** WebSocket traffic, for the artefacts of a failed run. */
  log: string[];
}

export async function openPage(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number } = { width: 1100, height: 760 },
): Promise<TrackedPage> {
  const context = await browser.newContext({ viewport, locale: 'id-ID' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  const log: string[] = [];
  const stamp = () => new Date().toISOString().slice(11, 23);
  page.on('websocket', (ws) => {
    const path = new URL(ws.url()).pathname;
    log.push(`${stamp()} open ${path}`);
    ws.on('framesent', (f) => log.push(`${stamp()} > ${String(f.payload).slice(0, 300)}`));
    ws.on('framereceived', (f) => log.push(`${stamp()} < ${String(f.payload).slice(0, 300)}`));
    ws.on('socketerror', (e) => log.push(`${stamp()} error ${e}`));
    ws.on('close', () => log.push(`${stamp()} close ${path}`));
  });
  page.on('response', (r) => {
    if (r.url().includes('/livechat/'))
      log.push(
        `${stamp()} http ${r.request().method()} ${new URL(r.url()).pathname}${new URL(r.url()).search} ${r.status()}`,
      );
  });
  page.on('requestfailed', (r) => log.push(`${stamp()} http failed ${r.url()} ${r.failure()?.errorText}`));
  page.on('dialog', (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, context, errors, log };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Writes a page's WebSocket log next to the screenshots. */
export function saveLog(name: string, tracked: TrackedPage): void {
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(join(artifactsDir, `${name}.ws.log`), tracked.log.join('\n') + '\n');
}

/** The text of every element matching `selector`, in document order. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (nodes) => nodes.map((n) => n.textContent ?? ''));
}

/** Waits until an element matching `selector` has exactly `text`; the failure says what the page showed instead. */
export async function waitForText(page: Page, selector: string, text: string, timeoutMs = PAGE_WAIT_MS): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, expected]) => [...document.querySelectorAll(sel)].some((n) => n.textContent === expected),
      [selector, text] as const,
      { timeout: timeoutMs },
    );
  } catch (error) {
    const found = await texts(page, selector).catch(() => []);
    const status = await page.textContent('.status').catch(() => '?');
    const what = `"${selector}" with text ${JSON.stringify(text)} on ${page.url()}; found ${JSON.stringify(found)}; status ${JSON.stringify(status)}`;
    throw timeoutError(timeoutMs, what, error);
  }
}

/** Signs the dashboard in as `admin` and waits for its socket to be open. */
export async function loginBroadcaster(page: Page, admin: { username: string; password: string }): Promise<void> {
  await page.fill('#username', admin.username);
  await page.fill('#password', admin.password);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('.status[data-state=open]', { timeout: PAGE_WAIT_MS });
}
