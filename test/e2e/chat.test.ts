/**
 * The widget and the dashboard in a real browser against a real server:
 * one conversation followed from first message through a server restart,
 * XSS payloads, a page reload, a phone-sized screen and the English option.
 * The tests run in order and share the server, the browser and the pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { json, loginAdmin } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  PAGE_WAIT_MS as WAIT,
  buildWebAssets,
  launchBrowser,
  loginBroadcaster,
  openPage,
  saveLog,
  screenshot,
  texts,
  waitForText,
  type TrackedPage,
} from './browser.js';

/** After a restart the SDK waits at most a few backoff windows. */
const RECOVER = 25_000;

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

async function startChat(page: Page, name: string, city: string): Promise<void> {
  await page.fill('#name', name);
  await page.fill('#city', city);
  await page.click('form.start-form button[type=submit]');
  await page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('.composer__input', text);
  await page.press('.composer__input', 'Enter');
}

async function reply(page: Page, text: string): Promise<void> {
  await page.fill('.reply__input', text);
  await page.press('.reply__input', 'Enter');
}

async function storedMessages(): Promise<{ sessionId: string; messages: { text: string; direction: string }[] }> {
  const token = await loginAdmin(server);
  const sessions = await json(`${server.baseUrl}/livechat/admin/sessions`, { token });
  const sessionId = (sessions.body.sessions as { sessionId: string; name: string }[]).find(
    (s) => s.name === 'Rina',
  )!.sessionId;
  const list = await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages?limit=500`, { token });
  return { sessionId, messages: list.body.messages };
}

describe('widget and dashboard in Chromium', () => {
  before(async () => {
    await buildWebAssets();
    server = await startTestServer();
    browser = await launchBrowser();
  });

  after(async () => {
    pages.forEach((p, i) => saveLog(`page-${i + 1}`, p));
    await browser?.close();
    await server?.stop();
  });

  test('a listener sends from the widget and the dashboard shows it', async () => {
    dashboard = await open(`${server.baseUrl}/dashboard`);
    await loginBroadcaster(dashboard.page, server.admin);
    await dashboard.page.waitForSelector('.session-list .empty', { timeout: WAIT });

    widget = await open(`${server.baseUrl}/`);
    assert.equal(await widget.page.getAttribute('html', 'lang'), 'id');
    await startChat(widget.page, 'Rina', 'Bandung');

    // Presence: the session appears online before any message.
    await dashboard.page.waitForSelector('.session[data-online=true]', { timeout: WAIT });
    await waitForText(dashboard.page, '.session__name', 'Rina');

    await dashboard.page.evaluate(() => {
      const w = window as unknown as { notifications: number };
      w.notifications = 0;
      window.addEventListener('livechat:notify', () => w.notifications++);
    });
    await send(widget.page, 'Halo penyiar! Putar lagu Sheila on 7 dong');
    await widget.page.waitForSelector('.msg--out[data-status=sent]', { timeout: WAIT });
    assert.deepEqual(await texts(widget.page, '.msg--out .msg__state'), ['Terkirim']);

    // Unread badge, last message and title badge, before the conversation is opened.
    await waitForText(dashboard.page, '.session__last', 'Halo penyiar! Putar lagu Sheila on 7 dong');
    await waitForText(dashboard.page, '.session .badge', '1');
    assert.match(await dashboard.page.title(), /^\(1\) /);
    assert.equal(
      await dashboard.page.evaluate(() => (window as unknown as { notifications: number }).notifications),
      1,
    );

    // Muted: the badge still counts, but no sound.
    await dashboard.page.click('.sound-toggle');
    assert.equal(await dashboard.page.textContent('.sound-toggle'), 'Suara: mati');
    await send(widget.page, 'Halo lagi');
    await waitForText(dashboard.page, '.session .badge', '2');
    assert.equal(
      await dashboard.page.evaluate(() => (window as unknown as { notifications: number }).notifications),
      1,
    );
    await dashboard.page.click('.sound-toggle');
    assert.equal(await dashboard.page.getAttribute('.sound-toggle', 'aria-pressed'), 'true');

    await dashboard.page.click('.session');
    await waitForText(dashboard.page, '.conversation-pane .msg--in .msg__text', 'Halo lagi');
    await dashboard.page.waitForFunction(() => !document.querySelector('.session .badge'), null, { timeout: WAIT });
    assert.doesNotMatch(await dashboard.page.title(), /^\(\d+\)/);

    // Typing, listener → broadcaster.
    await widget.page.fill('.composer__input', 'Sebentar');
    await widget.page.type('.composer__input', ' ya');
    await waitForText(dashboard.page, '.conversation-pane .typing', 'Rina sedang mengetik…');
    await widget.page.fill('.composer__input', '');
  });

  test('the broadcaster replies and the widget shows it', async () => {
    await dashboard.page.type('.reply__input', 'Siap');
    await waitForText(widget.page, '.typing', 'Penyiar A sedang mengetik…');
    await reply(dashboard.page, 'Halo Rina! Sebentar lagi diputar ya.');
    await waitForText(widget.page, '.msg--in .msg__text', 'Halo Rina! Sebentar lagi diputar ya.');
    assert.deepEqual(await texts(widget.page, '.msg--in .msg__from'), ['Penyiar A']);
    await widget.page.waitForSelector('.typing', { state: 'hidden', timeout: WAIT });
    await waitForText(
      dashboard.page,
      '.conversation-pane .msg--out .msg__text',
      'Halo Rina! Sebentar lagi diputar ya.',
    );
    await screenshot(widget.page, 'widget-conversation');
    await screenshot(dashboard.page, 'dashboard-conversation');
  });

  test('the server restarts mid-conversation and both pages recover without losing a message', async () => {
    await server.server.stop();
    // Honest about the connection: both pages say they are reconnecting.
    await widget.page.waitForSelector('.status[data-tone=down]', { timeout: WAIT });
    await dashboard.page.waitForSelector('.status[data-tone=down]', { timeout: WAIT });

    // Both sides write while the server is down: the messages wait in the outbox.
    await send(widget.page, 'Pesan waktu server mati');
    await reply(dashboard.page, 'Balasan waktu server mati');
    await widget.page.waitForSelector('.msg--out[data-status=sending]', { timeout: WAIT });
    await dashboard.page.waitForSelector('.conversation-pane .msg--out[data-status=sending]', { timeout: WAIT });
    assert.ok(await widget.page.isVisible('.queued-note'), 'the widget says queued messages will be sent');
    await screenshot(widget.page, 'widget-reconnecting');
    await screenshot(dashboard.page, 'dashboard-reconnecting');

    await server.restart();
    const back = Date.now();
    // The widget's page becomes visible again: it reconnects at once, whatever its backoff.
    await widget.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await widget.page.waitForSelector('.status[data-state=open]', { timeout: RECOVER });
    const widgetMs = Date.now() - back;
    // The dashboard waits out its backoff: full jitter, capped at 8 s.
    await dashboard.page.waitForSelector('.status[data-state=open]', { timeout: RECOVER });
    const dashboardMs = Date.now() - back;
    assert.ok(widgetMs < 3000, `the visible page reconnected at once (${widgetMs} ms after the server was back)`);
    assert.ok(dashboardMs < 10_000, `the backoff is capped (${dashboardMs} ms after the server was back)`);

    await waitForText(dashboard.page, '.conversation-pane .msg--in .msg__text', 'Pesan waktu server mati', RECOVER);
    await waitForText(widget.page, '.msg--in .msg__text', 'Balasan waktu server mati', RECOVER);
    await widget.page.waitForFunction(() => !document.querySelector('.msg--out[data-status=sending]'), null, {
      timeout: WAIT,
    });

    // And the conversation simply goes on.
    await send(widget.page, 'Sudah nyambung lagi');
    await waitForText(dashboard.page, '.conversation-pane .msg--in .msg__text', 'Sudah nyambung lagi');

    // Every message stored once (the two written during the outage in either
    // order: whichever side reconnected first), and shown once on each page.
    const { messages } = await storedMessages();
    const stored = messages.map((m) => m.text);
    assert.deepEqual(stored.slice(0, 3), [
      'Halo penyiar! Putar lagu Sheila on 7 dong',
      'Halo lagi',
      'Halo Rina! Sebentar lagi diputar ya.',
    ]);
    assert.deepEqual(stored.slice(3, 5).sort(), ['Balasan waktu server mati', 'Pesan waktu server mati']);
    assert.deepEqual(stored.slice(5), ['Sudah nyambung lagi']);
    await waitForText(dashboard.page, '.conversation-pane .msg--in .msg__text', 'Sudah nyambung lagi');
    assert.deepEqual(
      await texts(dashboard.page, '.conversation-pane .msg .msg__text'),
      stored,
      'dashboard shows stored order',
    );
    assert.deepEqual((await texts(widget.page, '.messages .msg .msg__text')).sort(), [...stored].sort());
  });

  test('the dashboard follows the browser offline and back, and misses nothing meanwhile', async () => {
    await dashboard.context.setOffline(true);
    await dashboard.page.waitForSelector('.status[data-state=offline]', { timeout: WAIT });
    assert.equal(
      await dashboard.page.textContent('.status__text'),
      'Anda sedang offline. Chat tersambung lagi saat internet kembali.',
    );
    // The listener writes while the dashboard is away, and the broadcaster answers blind:
    // after reconnecting, the queued reply (stored later) reaches the dashboard live before the resync does.
    await send(widget.page, 'Pesan waktu penyiar offline');
    await widget.page.waitForFunction(() => !document.querySelector('.msg--out[data-status=sending]'), null, {
      timeout: WAIT,
    });
    await reply(dashboard.page, 'Balasan dari penyiar yang offline');
    await dashboard.context.setOffline(false);
    await dashboard.page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await waitForText(widget.page, '.msg--in .msg__text', 'Balasan dari penyiar yang offline');
    await waitForText(dashboard.page, '.conversation-pane .msg--in .msg__text', 'Pesan waktu penyiar offline');
    const { messages } = await storedMessages();
    assert.deepEqual(
      await texts(dashboard.page, '.conversation-pane .msg .msg__text'),
      messages.map((m) => m.text),
    );
  });

  test('a reload keeps the session and the conversation', async () => {
    const before = await texts(widget.page, '.messages .msg .msg__text');
    await widget.page.reload();
    await widget.page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    assert.deepEqual(await texts(widget.page, '.messages .msg .msg__text'), before);
    // A reply sent while the page was away arrives through the resume (lastMessageId).
    await reply(dashboard.page, 'Masih di sana?');
    await waitForText(widget.page, '.msg--in .msg__text', 'Masih di sana?');
    const sessions = await json(`${server.baseUrl}/livechat/admin/sessions?includeEmpty=true`, {
      token: await loginAdmin(server),
    });
    assert.equal(sessions.body.sessions.length, 1, 'the reload did not start a new session');
    assert.equal(await dashboard.page.locator('.session').count(), 1);
  });

  test('XSS payloads show up as harmless text on both pages', async () => {
    const payloads = [
      '<img src=x onerror="window.__xss=1">Halo <3',
      '&lt;img src=x onerror=window.__xss=2&gt;',
      'Aku <3 lagu ini & "Sheila on 7"',
    ];
    for (const p of payloads) await send(widget.page, p);
    const replyPayload = '<svg onload="window.__xss=3"></svg>Salam & <3 dari studio';
    await reply(dashboard.page, replyPayload);

    const { messages } = await storedMessages();
    const stored = messages.slice(-4).map((m) => m.text);
    // What the server delivers (its cleaning is its business); what matters here is how the pages render it.
    await waitForText(widget.page, '.msg--in .msg__text', stored[3]!);
    for (const text of stored.slice(0, 3))
      await waitForText(dashboard.page, '.conversation-pane .msg--in .msg__text', text);
    await waitForText(dashboard.page, '.conversation-pane .msg--out .msg__text', stored[3]!);
    // Text is shown exactly as stored: entities are not decoded, markup is not interpreted.
    assert.ok(stored.includes('&lt;img src=x onerror=window.__xss=2&gt;'));
    assert.ok(stored.includes('Aku <3 lagu ini & "Sheila on 7"'));
    // Once acknowledged, the widget shows the listener's own messages as stored (the ack's text), as
    // everyone else sees them, and as plain text: the markup that was typed is gone.
    for (const text of stored.slice(0, 3)) await waitForText(widget.page, '.msg--out .msg__text', text);
    assert.ok(!stored[0]!.includes('<img'));
    assert.ok(!(await texts(widget.page, '.msg--out .msg__text')).some((text) => text.includes('<img src=x')));

    // Nothing left after the server's cleaning: refused, shown as failed (no retry: it would be refused again).
    await send(widget.page, '<img src=x onerror="window.__xss=4">');
    const refused = widget.page.locator('.msg--out[data-status=failed]');
    await refused.waitFor({ timeout: WAIT });
    assert.equal(await refused.locator('.msg__state').textContent(), 'Pesan ditolak.');
    assert.equal(await refused.locator('.msg__text').textContent(), '<img src=x onerror="window.__xss=4">');
    assert.equal(await refused.locator('.msg__retry').isVisible(), false);
    await refused.locator('.msg__remove').click();
    await refused.waitFor({ state: 'detached', timeout: WAIT });

    for (const { page } of [widget, dashboard]) {
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
      assert.equal(await page.locator('.messages img, .messages svg, .messages script, .msg__text *').count(), 0);
    }
    await screenshot(widget.page, 'widget-xss');
    await screenshot(dashboard.page, 'dashboard-xss');
  });

  test('the dashboard works on a phone-sized screen', async () => {
    const phone = await open(`${server.baseUrl}/dashboard/`, { width: 390, height: 844 });
    await loginBroadcaster(phone.page, server.admin);
    await phone.page.waitForSelector('.session', { timeout: WAIT });
    assert.equal(await phone.page.isVisible('.conversation-pane'), false);
    await phone.page.click('.session');
    await phone.page.waitForSelector('.conversation-pane .msg', { timeout: WAIT });
    assert.equal(await phone.page.isVisible('.session-pane'), false);
    assert.ok(await phone.page.isVisible('.reply__input'));
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await screenshot(phone.page, 'dashboard-phone');
    await phone.page.click('.back');
    await phone.page.waitForSelector('.session-pane', { state: 'visible', timeout: WAIT });

    const phoneWidget = await open(`${server.baseUrl}/`, { width: 390, height: 844 });
    await phoneWidget.page.waitForSelector('#name');
    await screenshot(phoneWidget.page, 'widget-phone-form');
  });

  test('English is one click away, and logout returns to the login form', async () => {
    await widget.page.click('.lang-toggle');
    assert.equal(await widget.page.getAttribute('.composer__input', 'placeholder'), 'Write a message…');
    assert.equal(await widget.page.getAttribute('html', 'lang'), 'en');
    assert.deepEqual((await texts(widget.page, '.msg--out .msg__state')).at(-1), 'Sent');
    await widget.page.click('.lang-toggle');
    assert.equal(await widget.page.getAttribute('.composer__input', 'placeholder'), 'Tulis pesan…');

    await dashboard.page.click('.logout');
    await dashboard.page.waitForSelector('form.login', { timeout: WAIT });
    await dashboard.page.reload();
    await dashboard.page.waitForSelector('form.login', { timeout: WAIT });

    // A stored token the server refuses (the browser only sees a failed upgrade): back to the login form.
    await dashboard.page.evaluate(() =>
      localStorage.setItem(
        'suara-pendengar.dashboard.auth',
        JSON.stringify({
          token: 'tidak-berlaku',
          name: 'Penyiar A',
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      ),
    );
    await dashboard.page.reload();
    await waitForText(dashboard.page, 'form.login .form-error', 'Sesi login berakhir. Silakan masuk lagi.');
  });

  test('no page error and no Content-Security-Policy violation on any page', () => {
    const problems = pages.flatMap((p) =>
      p.errors.filter(
        // While the server was down the browser logs failed connection attempts; those are expected.
        (e) => !/WebSocket connection to .* failed|Failed to load resource|net::ERR_CONNECTION_REFUSED/.test(e),
      ),
    );
    assert.deepEqual(problems, []);
  });

  test('a broadcaster name is refused on the start form and the focus goes back to the name', async () => {
    const page = (await open(`${server.baseUrl}/`)).page;
    await page.fill('#name', `  ${server.admin.name.toUpperCase()} `);
    // Clicked, the button holds the focus and is disabled while the request runs.
    await page.click('form.start-form button[type=submit]');
    const alert = page.locator('.start-form .form-error[role=alert]');
    await alert.waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await alert.textContent(), 'Nama ini dipakai penyiar. Silakan pilih nama lain.');
    await page.waitForFunction(() => document.activeElement?.id === 'name', undefined, { timeout: WAIT });
    assert.equal(await page.locator('.status[data-state=open]').count(), 0);
  });
});
