/**
 * The live show in the dashboard and the widget, in Chromium: header stats, the triage filter,
 * search, quick replies with `/shortcut` completion (keyboard only), who else is on a
 * conversation, announcements reaching the widget, the CSV export — at desktop and phone width,
 * with axe-core finding no serious violation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/passwords.js';
import { TestSocket, adminUrl, connectListener, createSession, json } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  PAGE_WAIT_MS as WAIT,
  buildWebAssets,
  launchBrowser,
  loginBroadcaster,
  openPage,
  saveLog,
  screenshot,
  waitForText,
  type TrackedPage,
} from './browser.js';

let server: TestServer;
let browser: Browser;
let dashboard: TrackedPage;
const pages: TrackedPage[] = [];
const other = { username: 'penyiar-b', password: 'rahasia-penyiar-b', name: 'Penyiar B' };

async function axeSerious(page: Page): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the debugging protocol: the page's CSP (rightly) refuses inline scripts.
  await page.evaluate(source);
  return page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

async function storeMessage(sessionId: string, text: string, direction: 'listener' | 'broadcaster' = 'listener') {
  await server.server.store.messages.insert({
    sessionId,
    direction,
    senderKey: direction === 'listener' ? `session:${sessionId}` : 'admin:1',
    from: direction === 'listener' ? 'Sari' : 'Penyiar A',
    text,
  });
}

describe('live show in Chromium', () => {
  let waiting: { sessionId: string };
  let answered: { sessionId: string };
  let listener: Awaited<ReturnType<typeof connectListener>>;

  before(async () => {
    await buildWebAssets();
    server = await startTestServer({ env: { LIVECHAT_STATS_INTERVAL_MS: '300' } });
    await server.server.store.admins.upsert({
      username: other.username,
      displayName: other.name,
      passwordHash: await hashPassword(other.password),
    });
    browser = await launchBrowser();
    waiting = await createSession(server, 'Sari', 'Solo');
    await storeMessage(waiting.sessionId, 'Tolong putarkan lagu kenangan dong');
    answered = await createSession(server, 'Budi', 'Bandung');
    await storeMessage(answered.sessionId, 'Salam untuk ibu di rumah');
    await storeMessage(answered.sessionId, 'Salam kembali, Budi!', 'broadcaster');
    listener = await connectListener(server, 'Dewi');
    listener.socket.send('message:send', { text: 'Halo dari Dewi', clientMessageId: 'd-1' });
    await listener.socket.next('message:ack');
  });

  after(async () => {
    for (const tracked of pages) saveLog(`live-show-${pages.indexOf(tracked)}`, tracked);
    await listener?.socket.close();
    await browser?.close();
    await server?.stop();
  });

  test('stats in the header, the triage filter and search', async () => {
    dashboard = await openPage(browser, `${server.baseUrl}/dashboard`);
    pages.push(dashboard);
    const { page } = dashboard;
    await loginBroadcaster(page, server.admin);
    await waitForText(page, '[data-stat=listenersOnline] .stat__value', '1');
    await waitForText(page, '[data-stat=messagesLastHour] .stat__label', 'Pesan 1 jam terakhir');
    await waitForText(page, '.session__name', 'Budi');

    await page.selectOption('#triage-filter', 'unanswered');
    await page.waitForFunction(
      () => ![...document.querySelectorAll('.session__name')].some((n) => n.textContent === 'Budi'),
      null,
      { timeout: WAIT },
    );
    await waitForText(page, '.session__name', 'Sari');
    await page.selectOption('#triage-filter', 'online');
    await page.waitForFunction(() => document.querySelectorAll('.session__name').length === 1, null, { timeout: WAIT });
    await waitForText(page, '.session__name', 'Dewi');
    await page.selectOption('#triage-filter', 'all');
    await waitForText(page, '.session__name', 'Budi');

    await page.click('.show-tools button:has-text("Cari pesan")');
    await page.keyboard.type('putarkan lagu');
    await page.keyboard.press('Enter');
    await waitForText(page, '.search-result__text', 'Tolong putarkan lagu kenangan dong');
    await waitForText(page, '#search-dialog .tool-status', '1 pesan ditemukan');
    await screenshot(page, 'live-show-search');
    assert.deepEqual(await axeSerious(page), []);
    await page.focus('.search-result');
    await page.keyboard.press('Enter');
    await waitForText(page, '.conversation-pane h2', 'Sari');
    assert.equal(await page.evaluate(() => document.querySelector('#search-dialog')?.hasAttribute('open')), false);
  });

  test('quick replies: managed in their view, inserted with /shortcut from the keyboard', async () => {
    const { page } = dashboard;
    await page.click('.show-tools button:has-text("Balasan cepat")');
    await page.fill('#qr-shortcut', 'lagu');
    await page.fill('#qr-text', 'Lagunya segera kami putar, tunggu ya!');
    await page.keyboard.press('Control+Enter').catch(() => undefined);
    await page.click('.qr-form button[type=submit]');
    await waitForText(page, '.qr-item__text', 'Lagunya segera kami putar, tunggu ya!');
    await page.fill('#qr-shortcut', 'salam');
    await page.fill('#qr-text', 'Salam hangat dari studio!');
    await page.press('#qr-text', 'Tab');
    await page.keyboard.press('Enter');
    await waitForText(page, '.qr-item__text', 'Salam hangat dari studio!');
    await screenshot(page, 'live-show-quick-replies');
    assert.deepEqual(await axeSerious(page), []);
    await page.keyboard.press('Escape');

    await page.focus('.reply__input');
    await page.keyboard.type('/');
    await page.waitForSelector('.qr-suggestions:not([hidden]) .qr-option', { timeout: WAIT });
    assert.equal(await page.locator('.qr-option').count(), 2);
    await page.keyboard.type('sa');
    await waitForText(page, '.qr-option[aria-selected=true] .qr-option__shortcut', '/salam');
    await screenshot(page, 'live-show-completion');
    await page.keyboard.press('Enter');
    assert.equal(await page.inputValue('.reply__input'), 'Salam hangat dari studio!');
    assert.equal(await page.isHidden('.qr-suggestions'), true);
    await page.keyboard.press('Enter');
    await waitForText(page, '.conversation-pane .msg__text', 'Salam hangat dari studio!');
    // Arrow keys move through the list; Escape closes it and keeps the text.
    await page.keyboard.type('/');
    await page.keyboard.press('ArrowDown');
    await waitForText(page, '.qr-option[aria-selected=true] .qr-option__shortcut', '/salam');
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('.qr-suggestions'), true);
    assert.equal(await page.inputValue('.reply__input'), '/');
    await page.fill('.reply__input', '');
  });

  test('another broadcaster on the same conversation shows as replying', async () => {
    const { page } = dashboard;
    const login = await json(`${server.baseUrl}/livechat/admin/login`, { body: other });
    const socket = await TestSocket.open(adminUrl(server, login.body.token));
    await socket.next('connection:success');
    // Penyiar B learns where Penyiar A is when A moves.
    await page.click('.session:has-text("Budi")');
    const seen = await socket.next('conversation:focus', WAIT, (d) => d['sessionId'] === answered.sessionId);
    assert.equal(seen['name'], server.admin.name);
    socket.send('conversation:focus', { sessionId: answered.sessionId });
    await waitForText(page, '.focus-note', 'Penyiar B sedang membalas');
    await screenshot(page, 'live-show-focus');
    await socket.close();
    await page.waitForSelector('.focus-note', { state: 'hidden', timeout: WAIT });
  });

  test('an announcement reaches the widget, shown apart from the conversation', async () => {
    const widget = await openPage(browser, `${server.baseUrl}/`, { width: 390, height: 760 });
    pages.push(widget);
    await widget.page.fill('#name', 'Rina');
    await widget.page.click('form.start-form button[type=submit]');
    await widget.page.waitForSelector('.status[data-state=open]', { timeout: WAIT });

    const { page } = dashboard;
    await page.click('.show-tools button:has-text("Pengumuman")');
    await page.keyboard.type('Kuis dimulai! Jawab di kolom chat.');
    await page.click('#announce-dialog button[type=submit]');
    await waitForText(page, '#announce-dialog .tool-status', 'Pengumuman terkirim.');
    await screenshot(page, 'live-show-announce');
    await page.keyboard.press('Escape');

    await waitForText(widget.page, '.announcement__text', 'Kuis dimulai! Jawab di kolom chat.');
    await waitForText(widget.page, '.announcement__title', 'Pengumuman dari Penyiar A');
    assert.equal(await widget.page.locator('.msg').count(), 0, 'not a chat message');
    await screenshot(widget.page, 'live-show-widget-announcement');
    assert.deepEqual(await axeSerious(widget.page), []);
    assert.equal((await listener.socket.next('announcement'))['text'], 'Kuis dimulai! Jawab di kolom chat.');
    await widget.page.click('.announcement__close');
    await widget.page.waitForSelector('.announcement', { state: 'detached', timeout: WAIT });
    assert.deepEqual(widget.errors, []);
  });

  test('the export downloads the show as CSV', async () => {
    const { page } = dashboard;
    await page.click('.show-tools button:has-text("Ekspor CSV")');
    await screenshot(page, 'live-show-export');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: WAIT }),
      page.click('#export-dialog button[type=submit]'),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, /^\ufeff"id_pesan","waktu","id_sesi","arah","dari","kota","teks"\r\n/);
    assert.ok(csv.includes('"Tolong putarkan lagu kenangan dong"'));
    await page.keyboard.press('Escape');
    assert.deepEqual(dashboard.errors, []);
  });

  test('at phone width the tools and figures stay usable', async () => {
    const phone = await openPage(browser, `${server.baseUrl}/dashboard`, { width: 390, height: 800 });
    pages.push(phone);
    await loginBroadcaster(phone.page, server.admin);
    await waitForText(phone.page, '[data-stat=listenersOnline] .stat__value', '2');
    await screenshot(phone.page, 'live-show-phone');
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no sideways scrolling');
    assert.deepEqual(await axeSerious(phone.page), []);
  });
});
