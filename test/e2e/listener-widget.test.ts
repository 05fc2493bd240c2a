/**
 * The listener widget as a station ships it (issue 20): embedded by the loader
 * on a page of another origin, it keeps the session in the host page's storage
 * (a reload resumes the same session), Escape closes the panel; two tabs see
 * each other's messages; a long paste is counted, not cut; ending the chat asks
 * first and can erase it; axe-core finds no serious violation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { TestSocket, adminUrl, json, loginAdmin } from '../helpers/clients.js';
import { freePort } from '../helpers/ports.js';
import { TEST_JWT_SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { TokenService } from '../../src/auth/tokens.js';
import { PAGE_WAIT_MS as WAIT, buildWebAssets, launchBrowser, openPage, repoRoot, screenshot } from './browser.js';

async function stationSite(chatOrigin: string): Promise<{ server: Server; port: number }> {
  const loader = readFileSync(join(repoRoot, 'dist', 'web', 'embed.js'));
  const html = `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Radio Suara Pendengar</title></head>
<body><main><h1>Radio Suara Pendengar — 101,1 FM</h1><p>Dengarkan siaran kami dan sapa penyiar!</p></main>
<script src="/js/embed.js" async data-origin="${chatOrigin}" data-lang="id"></script>
</body></html>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': `text/${req.url === '/js/embed.js' ? 'javascript' : 'html'}; charset=utf-8` });
    res.end(req.url === '/js/embed.js' ? loader : html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Serious and critical axe-core findings on the page (or frame). */
async function axeViolations(target: Page | Frame): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await target.evaluate(source);
  const results = (await target.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
  )) as { violations: { id: string; impact: string; nodes: unknown[] }[] };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
}

async function openEmbedded(page: Page): Promise<Frame> {
  await page.click('.suara-pendengar-chat-button', { timeout: WAIT });
  const handle = await page.waitForSelector('.suara-pendengar-chat-panel iframe', { timeout: WAIT });
  const frame = (await handle.contentFrame()) as Frame;
  await frame.waitForSelector('body[data-storage]', { timeout: WAIT });
  return frame;
}

let chat: TestServer;
let station: { server: Server; port: number };
let browser: Browser;

describe('the listener widget', () => {
  before(async () => {
    await buildWebAssets();
    const port = await freePort();
    const chatOrigin = `http://127.0.0.1:${port}`;
    station = await stationSite(chatOrigin);
    chat = await startTestServer({
      env: {
        PORT: String(port),
        LIVECHAT_ALLOWED_ORIGINS: `${chatOrigin},http://localhost:${station.port}`,
        LIVECHAT_RATE_LIMIT_MESSAGES: '3',
      },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await chat?.stop();
    station?.server.close();
  });

  test('embedded on another origin, storage denied in the frame: the host page keeps the session across a reload; Escape closes', async () => {
    const { page, errors } = await openPage(browser, `http://localhost:${station.port}/`);
    // As browsers that block third-party storage do: in any frame, touching storage throws.
    await page.context().addInitScript(() => {
      if (window === window.top) return;
      for (const name of ['localStorage', 'sessionStorage']) {
        Object.defineProperty(window, name, {
          get() {
            throw new DOMException('Access is denied for this document.', 'SecurityError');
          },
        });
      }
    });
    await page.reload();
    let frame = await openEmbedded(page);
    assert.equal(
      await frame.evaluate(() => {
        try {
          return String(window.localStorage.length);
        } catch {
          return 'denied';
        }
      }),
      'denied',
      'the frame has no storage of its own',
    );
    assert.equal(await frame.getAttribute('body', 'data-storage'), 'host', 'the host page keeps the session');
    await frame.fill('#name', 'Tamu Jauh');
    await frame.click('form.start-form button[type=submit]');
    await frame.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await frame.fill('.composer__input', 'Halo sebelum reload');
    await frame.press('.composer__input', 'Enter');
    await frame.waitForSelector('.msg--out[data-status=sent]', { timeout: WAIT });

    await page.reload();
    frame = await openEmbedded(page);
    await frame.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await frame.waitForSelector('.msg--out >> text=Halo sebelum reload', { timeout: WAIT });
    assert.equal(await frame.$('#name'), null, 'no name form again');
    await screenshot(page, 'widget-embedded-station');
    assert.deepEqual(await axeViolations(frame), [], 'the embedded chat');
    const token = await loginAdmin(chat);
    const listed = await json(`${chat.baseUrl}/livechat/admin/sessions?includeEmpty=true`, { token });
    const mine = listed.body.sessions.filter((s: { name: string }) => s.name === 'Tamu Jauh');
    assert.equal(mine.length, 1, 'one session, not one per page load');

    await frame.press('.composer__input', 'Escape');
    await page.waitForSelector('.suara-pendengar-chat-panel', { state: 'hidden', timeout: WAIT });
    assert.equal(await page.getAttribute('.suara-pendengar-chat-button', 'aria-expanded'), 'false');
    assert.deepEqual(errors, []);
  });

  test('two tabs, counter, rate-limit countdown, end with erase; axe and screenshots', async () => {
    const a = await openPage(browser, `${chat.baseUrl}/`);
    assert.deepEqual(await axeViolations(a.page), [], 'start form');
    await a.page.fill('#name', 'Dua Tab');
    await a.page.fill('#city', 'Depok');
    await a.page.click('form.start-form button[type=submit]');
    await a.page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    // A second tab of the same browser profile shares the session.
    const b = await a.context.newPage();
    await b.goto(`${chat.baseUrl}/`);
    await b.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await a.page.fill('.composer__input', 'Dari tab A <b>tebal</b>');
    await a.page.press('.composer__input', 'Enter');
    await a.page.waitForSelector('.msg--out[data-status=sent] >> text=Dari tab A tebal', { timeout: WAIT });
    await b.waitForSelector('.msg--out >> text=Dari tab A tebal', { timeout: WAIT });

    const sessions = await json(`${chat.baseUrl}/livechat/admin/sessions`, { token: await loginAdmin(chat) });
    const sessionId = sessions.body.sessions.find((s: { name: string }) => s.name === 'Dua Tab').sessionId;
    const admin = await openPage(browser, `${chat.baseUrl}/dashboard/`);
    void admin; // only the REST reply below matters; the dashboard is not under test here
    await admin.context.close();

    // A long paste is kept whole, and the counter says it is over.
    await a.page.fill('.composer__input', 'x'.repeat(1232));
    assert.match((await a.page.textContent('.composer__counter')) ?? '', /232 karakter lebih dari 1000/);
    await a.page.press('.composer__input', 'Enter');
    assert.equal((await a.page.inputValue('.composer__input')).length, 1232, 'not sent, not cut');
    await a.page.fill('.composer__input', '');

    // Over the limit (3 per window): a countdown until messages go out again.
    for (const n of [1, 2, 3]) {
      await a.page.fill('.composer__input', `cepat ${n}`);
      await a.page.press('.composer__input', 'Enter');
    }
    await a.page.waitForSelector('.notice:not([hidden]) >> text=/dalam \\d+ detik/', { timeout: WAIT });
    assert.deepEqual(await axeViolations(a.page), [], 'chat view');
    await screenshot(a.page, 'widget-desktop');
    await a.page.setViewportSize({ width: 390, height: 780 });
    await screenshot(a.page, 'widget-phone');

    await a.page.click('.end-chat');
    await a.page.waitForSelector('.end-confirm', { timeout: WAIT });
    await screenshot(a.page, 'widget-end-confirm');
    await a.page.click('.end-confirm .danger');
    await a.page.waitForSelector('#name', { timeout: WAIT });
    const history = await json(`${chat.baseUrl}/livechat/admin/sessions/${sessionId}/messages`, {
      token: await loginAdmin(chat),
    });
    assert.equal(history.status, 404, 'the conversation is erased on the server');
    await b.waitForSelector('#name', { timeout: WAIT });
    assert.deepEqual(a.errors, []);
    await a.context.close();
  });

  test('a reply while scrolled up shows a hint; a hidden tab counts replies in its title and chimes', async () => {
    const { page, context } = await openPage(browser, `${chat.baseUrl}/`, { width: 390, height: 600 });
    // Counts the chime's tones (Web Audio oscillators started by the page).
    await context.addInitScript(() => {
      const counted = window as unknown as { tones: number };
      counted.tones = 0;
      const start = OscillatorNode.prototype.start;
      OscillatorNode.prototype.start = function (this: OscillatorNode, ...args: Parameters<typeof start>) {
        counted.tones += 1;
        return start.apply(this, args);
      };
    });
    await page.reload();
    await page.fill('#name', 'Gulir');
    await page.click('form.start-form button[type=submit]');
    await page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    const sessions = await json(`${chat.baseUrl}/livechat/admin/sessions?includeEmpty=true`, {
      token: await loginAdmin(chat),
    });
    const sessionId = sessions.body.sessions.find((s: { name: string }) => s.name === 'Gulir').sessionId;
    const admin = await TestSocket.open(adminUrl(chat, await loginAdmin(chat)));
    await admin.next('connection:success');
    for (let n = 1; n <= 12; n++) {
      admin.send('message:reply', { sessionId, text: `Balasan panjang nomor ${n}\nbaris kedua` });
      await admin.next('message:ack');
    }
    await page.waitForSelector('.msg--in >> text=nomor 12', { timeout: WAIT });
    await page.evaluate(() => document.querySelector('.messages')!.scrollTo({ top: 0 }));
    admin.send('message:reply', { sessionId, text: 'Yang terbaru' });
    await page.waitForSelector('.new-reply:not([hidden])', { timeout: WAIT });
    await screenshot(page, 'widget-new-reply');
    await page.click('.new-reply');
    await page.waitForSelector('.new-reply', { state: 'hidden', timeout: WAIT });
    assert.ok(
      await page.evaluate(() => {
        const list = document.querySelector('.messages')!;
        return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
      }),
      'scrolled to the newest reply',
    );

    // Hidden tab: the title counts new replies, and is itself again once the tab is back.
    const hide = (hidden: boolean) =>
      page.evaluate(
        `Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });` +
          `document.dispatchEvent(new Event('visibilitychange'));`,
      );
    await hide(true);
    admin.send('message:reply', { sessionId, text: 'Saat tab tersembunyi' });
    await page.waitForFunction(() => document.title.startsWith('(1) Balasan baru'), undefined, { timeout: WAIT });
    await page.waitForFunction(() => (window as unknown as { tones: number }).tones >= 2, undefined, {
      timeout: WAIT,
    });
    await hide(false);
    await page.waitForFunction(() => !document.title.startsWith('('), undefined, { timeout: WAIT });
    await admin.close();
    await context.close();
  });

  test('an expired session goes on in a new session linked to it, under the same name', async () => {
    const created = await json(`${chat.baseUrl}/livechat/session`, { body: { name: 'Lama', city: 'Solo' } });
    assert.equal(created.status, 201);
    const oldSessionId = created.body.sessionId as string;
    // A token of that session which expired an hour ago, as a widget left open would hold.
    const past = new TokenService(TEST_JWT_SECRET, { now: () => Date.now() - 3_600_000 });
    const expired = await past.signListener({ sessionId: oldSessionId, name: 'Lama', city: 'Solo' }, 60);
    const saved = {
      sessionId: oldSessionId,
      sessionToken: expired.token,
      expiresAt: expired.expiresAt.toISOString(),
      name: 'Lama',
      city: 'Solo',
      items: [],
    };
    const { page, context, errors } = await openPage(browser, `${chat.baseUrl}/`);
    await page.evaluate(
      (value) => localStorage.setItem('suara-pendengar:widget:session.v1', value),
      JSON.stringify(saved),
    );
    await page.reload();
    await page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await page.fill('.composer__input', 'Saya kembali');
    await page.press('.composer__input', 'Enter');
    await page.waitForSelector('.msg--out[data-status=sent] >> text=Saya kembali', { timeout: WAIT });
    const listed = await json(`${chat.baseUrl}/livechat/admin/sessions?includeEmpty=true`, {
      token: await loginAdmin(chat),
    });
    const linked = listed.body.sessions.filter(
      (s: { previousSessionId: string | null }) => s.previousSessionId === oldSessionId,
    );
    assert.equal(linked.length, 1, 'one new session, linked to the expired one');
    assert.equal(linked[0].name, 'Lama');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a banned listener is told so and the widget does not reconnect', async () => {
    const { page, context, errors } = await openPage(browser, `${chat.baseUrl}/`);
    await page.fill('#name', 'Diblokir');
    await page.click('form.start-form button[type=submit]');
    await page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    const token = await loginAdmin(chat);
    const sessions = await json(`${chat.baseUrl}/livechat/admin/sessions?includeEmpty=true`, { token });
    const sessionId = sessions.body.sessions.find((s: { name: string }) => s.name === 'Diblokir').sessionId;
    const ban = await json(`${chat.baseUrl}/livechat/admin/sessions/${sessionId}/block`, {
      token,
      body: { mode: 'ban', reason: 'spam' },
    });
    assert.equal(ban.status, 200);
    await page.waitForSelector('.ended >> text=/blokir/i', { timeout: WAIT });
    let upgrades = 0;
    page.on('websocket', () => (upgrades += 1));
    await page.waitForTimeout(1500);
    assert.equal(upgrades, 0, 'no reconnect after 4403');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the dark theme follows the system setting, without serious axe findings', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 700 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${chat.baseUrl}/`);
    await page.fill('#name', 'Malam');
    await page.click('form.start-form button[type=submit]');
    await page.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await page.click('.end-chat');
    assert.notEqual(
      await page.evaluate(() => getComputedStyle(document.querySelector('.app')!).backgroundColor),
      'rgb(255, 255, 255)',
    );
    assert.deepEqual(await axeViolations(page), [], 'dark chat with the end confirmation');
    await screenshot(page, 'widget-dark');
    await context.close();
  });
});
