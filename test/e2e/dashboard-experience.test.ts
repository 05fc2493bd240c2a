/**
 * The broadcaster's dashboard as a station would use it, in Chromium:
 * axe-core on every state (login, list, conversation), keyboard-only use,
 * focus that survives live updates, `error:session_ended`, desktop
 * notifications, the login-expiry warning with drafts kept across a re-login,
 * the phone width, and an outbox and presence that survive an outage and a
 * closed page. The tests run in order and share one server and browser.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connectListener, createSession, json, listenerUrl, loginAdmin, TestSocket } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
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

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const RECOVER = 25_000;
const PHONE = { width: 390, height: 800 };

let server: TestServer;
let browser: Browser;
let dash: TrackedPage;
const pages: TrackedPage[] = [];
const sockets: TestSocket[] = [];
const sessions: Record<string, string> = {};

async function open(url: string, viewport?: { width: number; height: number }): Promise<TrackedPage> {
  const tracked = await openPage(browser, url, viewport);
  pages.push(tracked);
  return tracked;
}

/** A listener online under `name`, its session id kept in `sessions`. */
async function listener(name: string): Promise<TestSocket> {
  const { session, socket } = await connectListener(server, name);
  sessions[name] = session.sessionId;
  sockets.push(socket);
  return socket;
}

/** axe-core on the page as it is: the serious and critical violations, with where they are. */
async function axe(page: Page, state: string): Promise<void> {
  // Evaluated through the debugging protocol: the page's Content-Security-Policy allows no inline script.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: {
        run(
          context: Document,
          options: object,
        ): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
      };
    };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe on ${state}: ${JSON.stringify(bad)}`);
  // Landmarks: everything in one (the issue saw five "region" findings).
  assert.deepEqual(
    violations.filter((v) => v.id === 'region'),
    [],
    `region findings on ${state}`,
  );
}

/** The focused element, described (so a failure says where the focus went). */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return 'body';
    const session = (a as HTMLElement).dataset['sessionId'];
    return `${a.tagName.toLowerCase()}.${[...a.classList].join('.')}${session ? `[${session}]` : ''}`;
  });
}

/** Makes the page believe its tab is hidden or shown again (a string: evaluated as written). */
async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate(
    `Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return '${state}'; } });` +
      `document.dispatchEvent(new Event('visibilitychange'));`,
  );
}

async function openConversation(page: Page, name: string): Promise<void> {
  await page.click(`.session[data-session-id="${sessions[name]}"]`);
  await page.waitForSelector(`#conversation-title:text-is("${name}")`, { timeout: WAIT });
}

describe('the dashboard: accessibility, focus, ended sessions, notifications, expiry, outbox', () => {
  before(async () => {
    await buildWebAssets();
    // Every typing frame forwarded at once: the test waits for each.
    server = await startTestServer({ env: { LIVECHAT_TYPING_THROTTLE_MS: '0' } });
    browser = await launchBrowser();
  });

  after(async () => {
    pages.forEach((p, i) => saveLog(`dashboard-experience-${i + 1}`, p));
    await Promise.all(sockets.map((s) => s.close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
  });

  test('axe-core finds nothing serious on login, list and conversation; the keyboard reaches everything', async () => {
    dash = await open(`${server.baseUrl}/dashboard/`);
    await dash.page.waitForSelector('form.login');
    await axe(dash.page, 'login');

    await loginBroadcaster(dash.page, server.admin);
    const rina = await listener('Rina');
    const budi = await listener('Budi');
    rina.send('message:send', { text: 'Halo, putar lagu Sheila on 7 dong', clientMessageId: 'r1' });
    await rina.next('message:ack');
    budi.send('message:send', { text: 'Salam buat keluarga di Bandung', clientMessageId: 'b1' });
    await budi.next('message:ack');
    await waitForText(dash.page, `.session[data-session-id="${sessions['Budi']}"] .badge`, '1');
    // Dots and badges carry real text, not aria-label on a span.
    const rowName = await dash.page.$eval(
      `.session[data-session-id="${sessions['Budi']}"]`,
      (b) => (b as HTMLElement).innerText.replace(/\s+/g, ' ') + '|' + b.textContent,
    );
    assert.match(rowName, /Budi, online/);
    assert.match(rowName, /1 belum dibaca/);
    assert.equal(await dash.page.$$eval('.session span[aria-label]', (n) => n.length), 0);
    await axe(dash.page, 'list');

    // Keyboard only: the first Tab is the skip link, which leads to the list.
    await dash.page.keyboard.press('Tab');
    assert.equal(await focused(dash.page), 'a.skip-link');
    await dash.page.keyboard.press('Enter');
    assert.match(await focused(dash.page), /^button\.session\[/);
    await dash.page.keyboard.press('ArrowDown');
    await dash.page.keyboard.press('ArrowUp');
    await dash.page.keyboard.press('Enter');
    assert.equal(await focused(dash.page), 'textarea.reply__input.composer__input');
    const opened = await dash.page.textContent('#conversation-title');
    // Shift+Tab from the reply box stays in the conversation: into the message log (its last
    // message's own controls, or the log itself), never to the end of the session list.
    await dash.page.keyboard.press('Shift+Tab');
    assert.ok(
      await dash.page.evaluate(() => document.activeElement?.closest('div.messages[role="log"]') !== null),
      `Shift+Tab from the reply box lands in the message log (${await focused(dash.page)})`,
    );
    assert.ok(opened);
    assert.equal(await dash.page.getAttribute('.conversation-pane .typing', 'aria-live'), 'polite');
    // The focus ring shows on the purple header (white, not purple on purple).
    await dash.page.focus('.sound-toggle');
    await dash.page.keyboard.press('Shift+Tab');
    await dash.page.keyboard.press('Tab');
    assert.equal(await dash.page.$eval('.sound-toggle', (b) => getComputedStyle(b).outlineColor), 'rgb(255, 255, 255)');
    await axe(dash.page, 'conversation');
    await screenshot(dash.page, 'dashboard-desktop-conversation');
    await dash.page.emulateMedia({ colorScheme: 'dark' });
    await axe(dash.page, 'conversation, dark');
    await screenshot(dash.page, 'dashboard-desktop-conversation-dark');
    await dash.page.emulateMedia({ colorScheme: 'light' });
  });

  test('keyboard focus stays where it is while messages and typing re-render the list', async () => {
    await openConversation(dash.page, 'Rina');
    // Focus on Budi's row while Rina writes: Rina's row moves to the top, typing shows.
    await dash.page.focus(`.session[data-session-id="${sessions['Budi']}"]`);
    const rina = sockets[0]!;
    for (let i = 1; i <= 3; i++) {
      rina.send('user:typing', { isTyping: true });
      rina.send('message:send', { text: `Pesan ke-${i}`, clientMessageId: `rf${i}` });
      await rina.next('message:ack');
      await waitForText(dash.page, '.conversation-pane .msg--in .msg__text', `Pesan ke-${i}`);
      assert.equal(await focused(dash.page), `button.session[${sessions['Budi']}]`);
    }
    const budi = sockets[1]!;
    budi.send('message:send', { text: 'Budi lagi', clientMessageId: 'b2' });
    await budi.next('message:ack');
    await waitForText(dash.page, '.session__last', 'Budi lagi');
    assert.equal(await focused(dash.page), `button.session[${sessions['Budi']}]`);

    // Focus in the message log while messages and typing arrive.
    await dash.page.focus('.conversation-pane div.messages');
    rina.send('user:typing', { isTyping: true });
    await waitForText(dash.page, '.conversation-pane .typing', 'Rina sedang mengetik…');
    rina.send('message:send', { text: 'Satu lagi', clientMessageId: 'rf4' });
    await waitForText(dash.page, '.conversation-pane .msg--in .msg__text', 'Satu lagi');
    assert.equal(await focused(dash.page), 'div.messages');
  });

  test('a reply into an ended session says so and leads to the linked new session', async () => {
    // The server answers a reply into an expired session with error:session_ended (contract v1.1 B).
    // Here a route stands in for the expiry: it answers one marked reply the way the server does.
    const ended = await open(`about:blank`);
    const newer = await listener('Rina Baru');
    await ended.page.routeWebSocket(/\/livechat\/admin\/ws/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((raw) => {
        const frame = JSON.parse(String(raw)) as { event: string; data: Record<string, string> };
        if (frame.event === 'message:reply' && frame.data['sessionId'] === sessions['Rina']) {
          ws.send(
            JSON.stringify({
              event: 'error:session_ended',
              data: {
                sessionId: frame.data['sessionId'],
                newSessionId: sessions['Rina Baru'],
                clientMessageId: frame.data['clientMessageId'],
              },
            }),
          );
        } else upstream.send(raw);
      });
    });
    await ended.page.goto(`${server.baseUrl}/dashboard/`);
    await loginBroadcaster(ended.page, server.admin);
    await openConversation(ended.page, 'Rina');
    await ended.page.fill('.reply__input', 'Untuk sesi lama: lagunya diputar jam 8');
    await ended.page.press('.reply__input', 'Enter');
    await waitForText(ended.page, '.msg--out .msg__state', 'Tidak terkirim: sesi pendengar sudah berakhir.');
    assert.equal(await ended.page.isVisible('.msg--out[data-status=failed] .msg__retry'), false);
    assert.equal(await ended.page.locator('.msg--out[data-status=sent]').count(), 0, 'never shown as delivered');
    assert.match((await ended.page.textContent('.ended'))!, /sudah berakhir/);
    await screenshot(ended.page, 'dashboard-session-ended');
    await ended.page.click('.ended__open');
    await ended.page.waitForSelector('#conversation-title:text-is("Rina Baru")', { timeout: WAIT });
    assert.equal(await ended.page.inputValue('.reply__input'), 'Untuk sesi lama: lagunya diputar jam 8');
    await ended.page.press('.reply__input', 'Enter');
    await newer.next('message:receive');
    // Stored once, in the new session only.
    const token = await loginAdmin(server);
    const old = await json(`${server.baseUrl}/livechat/admin/sessions/${sessions['Rina']}/messages`, { token });
    assert.ok(!(old.body.messages as { text: string }[]).some((m) => m.text.startsWith('Untuk sesi lama')));
    await ended.context.close();
  });

  test('desktop notifications, once switched on, come while the tab is hidden', async () => {
    await dash.context.grantPermissions(['notifications'], { origin: server.baseUrl });
    await dash.page.click('.desktop-toggle');
    await waitForText(dash.page, '.desktop-toggle', 'Notifikasi desktop: aktif');
    await dash.page.evaluate(() => {
      const w = window as unknown as { desktopNotes: string[] };
      w.desktopNotes = [];
      window.addEventListener('livechat:desktop-notify', (e) =>
        w.desktopNotes.push((e as CustomEvent<{ title: string; body: string }>).detail.body),
      );
    });
    const budi = sockets[1]!;
    budi.send('message:send', { text: 'Waktu tab terlihat', clientMessageId: 'b3' });
    await waitForText(dash.page, '.session__last', 'Waktu tab terlihat');
    await setVisibility(dash.page, 'hidden');
    budi.send('message:send', { text: 'Waktu tab tersembunyi', clientMessageId: 'b4' });
    await dash.page.waitForFunction(
      () => (window as unknown as { desktopNotes: string[] }).desktopNotes.length > 0,
      null,
      { timeout: WAIT },
    );
    assert.deepEqual(await dash.page.evaluate(() => (window as unknown as { desktopNotes: string[] }).desktopNotes), [
      'Waktu tab tersembunyi',
    ]);
    await setVisibility(dash.page, 'visible');
  });

  test('the login warns before it ends and a re-login keeps the drafts per conversation', async () => {
    await openConversation(dash.page, 'Rina');
    await dash.page.fill('.reply__input', 'Draf untuk Rina');
    await openConversation(dash.page, 'Budi');
    await dash.page.fill('.reply__input', 'Draf untuk Budi');
    // The login ends in two minutes: the warning shows at once after a reload.
    await dash.page.evaluate(() => {
      const key = 'suara-pendengar.dashboard.auth';
      const auth = JSON.parse(localStorage.getItem(key)!) as { expiresAt: string };
      auth.expiresAt = new Date(Date.now() + 120_000).toISOString();
      localStorage.setItem(key, JSON.stringify(auth));
    });
    await dash.page.reload();
    await dash.page.waitForSelector('.login-warning:not([hidden])', { timeout: WAIT });
    assert.match((await dash.page.textContent('.login-warning'))!, /Login Anda berakhir pukul/);
    await waitForText(dash.page, '#conversation-title', 'Budi');
    assert.equal(await dash.page.inputValue('.reply__input'), 'Draf untuk Budi');
    await axe(dash.page, 'login warning');
    await screenshot(dash.page, 'dashboard-login-warning');
    await dash.page.click('.relogin');
    await loginBroadcaster(dash.page, server.admin);
    assert.equal(await dash.page.isVisible('.login-warning'), false);
    await waitForText(dash.page, '#conversation-title', 'Budi');
    assert.equal(await dash.page.inputValue('.reply__input'), 'Draf untuk Budi');
    await openConversation(dash.page, 'Rina');
    assert.equal(await dash.page.inputValue('.reply__input'), 'Draf untuk Rina');
    await dash.page.fill('.reply__input', '');
  });

  test('at 390 px the session list fits: badges and times in view', async () => {
    // A long name, a long city and a long unbroken word must not widen the list.
    const long = await createSession(
      server,
      'Muhammad Rizky Pratama Wijayakusuma Nugroho',
      'Kabupaten Kepulauan Seribu',
    );
    const longSocket = await TestSocket.open(listenerUrl(server, long.sessionToken));
    sockets.push(longSocket);
    longSocket.send('message:send', {
      text: 'Salaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaam',
      clientMessageId: 'l1',
    });
    await longSocket.next('message:ack');
    const phone = await open(`${server.baseUrl}/dashboard/`, PHONE);
    await loginBroadcaster(phone.page, server.admin);
    await phone.page.waitForSelector('.session .badge', { timeout: WAIT });
    const fit = await phone.page.evaluate(() => {
      const [badgesOut, timesOut] = ['.session .badge', '.session__time'].map(
        (sel) =>
          [...document.querySelectorAll(sel)].filter((n) => n.getBoundingClientRect().right > window.innerWidth).length,
      );
      return {
        scrollWidth: document.documentElement.scrollWidth,
        badgesOut,
        timesOut,
        times: document.querySelectorAll('.session__time').length,
      };
    });
    assert.ok(fit.scrollWidth <= PHONE.width, `page is ${fit.scrollWidth} px wide`);
    assert.equal(fit.badgesOut, 0);
    assert.equal(fit.timesOut, 0);
    assert.ok(fit.times > 0);
    await axe(phone.page, 'phone list');
    await screenshot(phone.page, 'dashboard-phone-list');
    await phone.page.click(`.session[data-session-id="${sessions['Budi']}"]`);
    await phone.page.waitForSelector('.conversation-pane .msg', { timeout: WAIT });
    await axe(phone.page, 'phone conversation');
    await screenshot(phone.page, 'dashboard-phone-conversation');
    await phone.page.emulateMedia({ colorScheme: 'dark' });
    await axe(phone.page, 'phone conversation, dark');
    await screenshot(phone.page, 'dashboard-phone-conversation-dark');
    await phone.context.close();
  });

  test('during an outage presence is unknown, and a reply typed then survives closing the page', async () => {
    await openConversation(dash.page, 'Budi');
    await server.server.stop();
    await dash.page.waitForSelector('.status[data-tone=down]', { timeout: WAIT });
    await dash.page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.session')].every((b) => b.dataset['presence'] === 'unknown') &&
        document.querySelector<HTMLElement>('.conversation__meta')?.dataset['presence'] === 'unknown',
      null,
      { timeout: WAIT },
    );
    assert.match(
      (await dash.page.textContent(`.session[data-session-id="${sessions['Budi']}"]`))!,
      /status tidak diketahui/,
    );
    await screenshot(dash.page, 'dashboard-outage');
    await dash.page.fill('.reply__input', 'Balasan selagi server mati');
    await dash.page.press('.reply__input', 'Enter');
    await dash.page.waitForSelector('.conversation-pane .msg--out[data-status=sending]', { timeout: WAIT });
    // Close the dashboard (the tab), then open it again while the server is still down.
    const storage = await dash.context.storageState();
    await dash.context.close();
    await server.restart();
    const reopened = await browser.newContext({
      viewport: { width: 1100, height: 760 },
      locale: 'id-ID',
      storageState: storage,
    });
    const page = await reopened.newPage();
    await page.goto(`${server.baseUrl}/dashboard/`);
    // The conversation that was open, with the reply kept and then sent.
    await waitForText(page, '#conversation-title', 'Budi');
    await waitForText(page, '.conversation-pane .msg--out .msg__text', 'Balasan selagi server mati', RECOVER);
    const token = await loginAdmin(server);
    const count = async () => {
      const stored = await json(`${server.baseUrl}/livechat/admin/sessions/${sessions['Budi']}/messages`, { token });
      return (stored.body.messages as { text: string }[]).filter((m) => m.text === 'Balasan selagi server mati').length;
    };
    await waitFor(async () => (await count()) > 0, { message: 'the kept reply to be stored', timeoutMs: RECOVER });
    await page.waitForSelector('.status[data-state=open]', { timeout: RECOVER });
    assert.equal(await count(), 1);
    await reopened.close();
  });
});
