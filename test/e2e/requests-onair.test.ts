/**
 * The live show in Chromium (contract v1.1 D): a listener requests a song
 * from the widget's "Request lagu" mode; the dashboard's requests panel
 * groups it with another listener's, most asked first, and marks it played,
 * which the widget shows; the on-air queue is filled from the conversation,
 * reordered with the keyboard and put on air; `/onair` (key, and overlay)
 * shows it within a second. Screenshots of each go to docs/images/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connectListener, json, loginAdmin } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  PAGE_WAIT_MS as WAIT,
  buildWebAssets,
  launchBrowser,
  loginBroadcaster,
  openPage,
  repoRoot,
  saveLog,
  screenshot,
  texts,
  waitForText,
  type TrackedPage,
} from './browser.js';

const ONAIR_KEY = 'studio-key-0123456789-abcdefghij';
const docsImages = join(repoRoot, 'docs', 'images');

let server: TestServer;
let browser: Browser;
let widget: TrackedPage;
let dashboard: TrackedPage;
const pages: TrackedPage[] = [];

async function open(url: string, viewport?: { width: number; height: number }): Promise<TrackedPage> {
  const tracked = await openPage(browser, url, viewport);
  pages.push(tracked);
  return tracked;
}

async function docsShot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(docsImages, `${name}.png`) });
}

/** Runs axe-core on the page; the serious and critical violations. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated over the debugging protocol: the page's Content-Security-Policy allows no inline script.
  await page.evaluate(readFileSync(join(repoRoot, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: any[] }> } }).axe;
    const { violations } = await axe.run();
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n: { target: string[] }) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}

async function queueIds(): Promise<string[]> {
  const token = await loginAdmin(server);
  const queue = await json(`${server.baseUrl}/livechat/admin/onair`, { token });
  return queue.body.items.map((item: { message: { messageId: string } }) => item.message.messageId);
}

describe('live show in Chromium', () => {
  before(async () => {
    await buildWebAssets();
    server = await startTestServer({ env: { LIVECHAT_ONAIR_KEY: ONAIR_KEY } });
    browser = await launchBrowser();
  });

  after(async () => {
    pages.forEach((p, i) => saveLog(`requests-onair-${i + 1}`, p));
    await browser?.close();
    await server?.stop();
  });

  test('a listener requests a song from the widget with the keyboard', async () => {
    widget = await open(server.baseUrl + '/', { width: 390, height: 760 });
    const { page } = widget;
    await page.fill('#name', 'Rina');
    await page.fill('#city', 'Solo');
    await page.press('#city', 'Enter');
    await page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await page.focus('.request-mode__toggle');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#request-title:focus', { timeout: WAIT });
    // An empty title is refused in the form, with the focus back on it.
    await page.keyboard.press('Enter');
    await waitForText(page, '.request-form .form-error', 'Judul lagu wajib diisi.');
    await page.keyboard.type('Kangen');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Dewa 19');
    await docsShot(page, 'live-show-request-form');
    assert.deepEqual(await seriousViolations(page), []);
    await page.keyboard.press('Enter');
    await waitForText(page, '.msg--out .msg__text', '♪ Kangen – Dewa 19');
    await page.waitForSelector('.msg--out[data-message-id]', { timeout: WAIT });
    assert.equal(await page.isVisible('#request-form'), false, 'the form closes once sent');
    // A second listener asks for the same song, spelled differently.
    const other = await connectListener(server, 'Budi');
    other.socket.send('message:send', {
      text: 'Buat ibu',
      clientMessageId: 'b1',
      request: { title: 'kangen', artist: 'DEWA19' },
    });
    await other.socket.next('message:ack');
    other.socket.send('message:send', { text: 'Salam dari Bandung!', clientMessageId: 'b2' });
    await other.socket.next('message:ack');
    await other.socket.close();
    await page.fill('.composer__input', 'Salam untuk semua pendengar di Solo!');
    await page.press('.composer__input', 'Enter');
    await page.waitForSelector('.msg--out:nth-child(2)[data-message-id]', { timeout: WAIT });
    assert.deepEqual(widget.errors, []);
  });

  test('the requests panel groups the song with its count and marks it played; the widget shows it', async () => {
    dashboard = await open(`${server.baseUrl}/dashboard/`, { width: 1280, height: 800 });
    const { page } = dashboard;
    await loginBroadcaster(page, server.admin);
    await waitForText(page, '.request-item__song', 'Kangen – Dewa 19');
    assert.deepEqual(await texts(page, '.request-item__count'), ['× 2']);
    await docsShot(page, 'live-show-requests-panel');
    const played = page.locator('.request-item button', { hasText: 'Diputar' });
    await played.focus();
    await page.keyboard.press('Enter');
    await waitForText(page, '.requests-panel .empty', 'Belum ada request lagu.');
    await waitForText(widget.page, '.notice', 'Lagu permintaan Anda diputar');
    await waitForText(widget.page, '.request-badge', '♪ Diputar');
    await docsShot(widget.page, 'live-show-request-played');
  });

  test('the on-air queue: queue from a conversation, reorder with the keyboard, put on air', async () => {
    const { page } = dashboard;
    await page.click('.session-row:has-text("Rina")').catch(async () => page.click('text=Rina'));
    await page.waitForSelector('.conversation-pane .msg--in .msg__show button', { timeout: WAIT });
    const queueButtons = page.locator('.conversation-pane .msg--in .msg__show button');
    assert.equal(await queueButtons.count(), 2);
    // The request message carries its chip.
    await waitForText(page, '.conversation-pane .request-chip', '♪ Request: Kangen – Dewa 19');
    await queueButtons.nth(1).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.onair-item', { timeout: WAIT });
    await queueButtons.nth(0).click();
    await page.waitForFunction(() => document.querySelectorAll('.onair-item').length === 2, null, { timeout: WAIT });
    const before = await queueIds();
    // Keyboard: the second item's "Naik" button moves it up; the focus follows it.
    await page.locator('.onair-item').nth(1).locator('button[data-action=up]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (first) => document.querySelector<HTMLElement>('.onair-item')?.dataset['messageId'] === first,
      before[1],
      { timeout: WAIT },
    );
    assert.deepEqual(await queueIds(), [before[1], before[0]]);
    const focusedItem = await page.evaluate(
      () => document.activeElement?.closest<HTMLElement>('li')?.dataset['messageId'],
    );
    assert.equal(focusedItem, before[1], 'the focus stays with the moved item');
    // Alt+ArrowDown on the focused item moves it back.
    await page.keyboard.press('Alt+ArrowDown');
    await page.waitForFunction(
      (first) => document.querySelector<HTMLElement>('.onair-item')?.dataset['messageId'] === first,
      before[0],
      { timeout: WAIT },
    );
    assert.deepEqual(await queueIds(), before);
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(dashboard.errors, []);
  });

  test('/onair shows the message put on air within a second, also as a transparent overlay', async () => {
    const studio = await open(`${server.baseUrl}/onair?key=${ONAIR_KEY}`, { width: 1280, height: 720 });
    const overlay = await open(`${server.baseUrl}/onair?overlay=1&key=${ONAIR_KEY}`, { width: 1280, height: 720 });
    await studio.page.waitForSelector('body[data-feed=live] .card--idle', { timeout: WAIT });
    await overlay.page.waitForSelector('body[data-feed=live]', { timeout: WAIT });
    const [first] = await queueIds();
    const started = Date.now();
    await dashboard.page.locator(`.onair-item[data-message-id="${first}"] button[data-action=on_air]`).click();
    await studio.page.waitForSelector(`.card[data-message-id="${first}"]`, { timeout: 1000 });
    await overlay.page.waitForSelector(`.card[data-message-id="${first}"]`, { timeout: 1000 });
    assert.ok(Date.now() - started < 1000, `shown after ${Date.now() - started} ms`);
    assert.equal(await studio.page.textContent('.card__name'), 'Rina');
    assert.equal(await studio.page.textContent('.card__city'), 'Solo');
    assert.equal(await studio.page.textContent('.card__text'), 'Salam untuk semua pendengar di Solo!');
    const background = await overlay.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgba(0, 0, 0, 0)');
    await docsShot(studio.page, 'live-show-onair-screen');
    await overlay.page.screenshot({ path: join(docsImages, 'live-show-onair-overlay.png'), omitBackground: true });
    await docsShot(dashboard.page, 'live-show-dashboard');
    assert.deepEqual(await seriousViolations(studio.page), []);
    // A browser source is a page of its own: the screen stays unframable, uncached, and keeps its key to itself.
    const page = await fetch(`${server.baseUrl}/onair?overlay=1&key=${ONAIR_KEY}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    await page.text();
    // A wrong key is told, not shown anything.
    const refused = await open(`${server.baseUrl}/onair?key=wrong-key-0123456789-abcdefghij`, {
      width: 800,
      height: 450,
    });
    await refused.page.waitForSelector('body[data-feed=refused]', { timeout: WAIT });
    assert.deepEqual([...studio.errors, ...overlay.errors], []);
  });

  test('on a phone, the panels stack under the session list without sideways scrolling', async () => {
    const { page } = dashboard;
    await page.setViewportSize({ width: 390, height: 800 });
    await page.click('.back').catch(() => undefined);
    await page.waitForSelector('.show-pane .onair-item', { state: 'visible', timeout: WAIT });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await page.locator('.onair-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'requests-onair-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('/onair opens without a key in the browser where a broadcaster is logged in', async () => {
    const page = await dashboard.context.newPage();
    await page.goto(`${server.baseUrl}/onair`);
    await page.waitForSelector('body[data-feed=live] .card[data-message-id]', { timeout: WAIT });
    await page.close();
  });
});
