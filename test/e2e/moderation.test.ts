/**
 * The dashboard's moderation controls and the "Akun" page in Chromium against
 * a real server: mute, ban and lift from a conversation (keyboard only), live
 * on a second dashboard; hide / show again; a message held by the word filter
 * released; accounts created, disabled (its dashboard is sent back to the
 * login form); the audit log; logout ending the token. Each view is checked
 * with axe-core and photographed at desktop and phone width. The tests run in
 * order and share the server, the browser and the pages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connectListener, json, TestSocket } from '../helpers/clients.js';
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
  texts,
  waitForText,
  type TrackedPage,
} from './browser.js';

const BLOCKED_WORD = 'kampretos';
const PHONE = { width: 390, height: 780 };

let server: TestServer;
let browser: Browser;
let desk: TrackedPage;
let colleague: TrackedPage;
const pages: TrackedPage[] = [];
let rina: Awaited<ReturnType<typeof connectListener>>;

async function open(url: string, viewport?: { width: number; height: number }): Promise<TrackedPage> {
  const tracked = await openPage(browser, url, viewport);
  pages.push(tracked);
  return tracked;
}

/** Runs axe-core in the page; fails on serious or critical violations, naming them. */
async function assertAccessible(page: Page, what: string): Promise<void> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy does not apply.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document);
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe on ${what}`);
}

async function sendAsListener(socket: TestSocket, text: string): Promise<string> {
  const clientMessageId = `c-${Math.random().toString(36).slice(2)}`;
  socket.ws.send(JSON.stringify({ event: 'message:send', data: { text, clientMessageId } }));
  const ack = await socket.next('message:ack', 5000, (d) => d['clientMessageId'] === clientMessageId);
  return String(ack['messageId']);
}

/** The keyboard focus is on an element matching `selector`. */
async function focusIs(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
}

/** Presses Tab until an element matching `selector` has the focus (keyboard-only use). */
async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await focusIs(page, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

const conversationOf = (sessionId: string) => `.session[data-session-id="${sessionId}"]`;

describe('moderation in the dashboard', () => {
  before(async () => {
    await buildWebAssets();
    server = await startTestServer({ env: { LIVECHAT_BLOCKED_WORDS: BLOCKED_WORD } });
    browser = await launchBrowser();
  });

  after(async () => {
    pages.forEach((p, i) => saveLog(`moderation-${i + 1}`, p));
    rina?.socket.ws.close();
    await browser?.close();
    await server?.stop();
  });

  test('mute, ban and lift from the keyboard, live on a second dashboard', async () => {
    rina = await connectListener(server, 'Rina');
    await sendAsListener(rina.socket, 'Halo penyiar!');
    desk = await open(`${server.baseUrl}/dashboard`);
    colleague = await open(`${server.baseUrl}/dashboard`, PHONE);
    await loginBroadcaster(desk.page, server.admin);
    await loginBroadcaster(colleague.page, server.admin);
    const { page } = desk;
    await waitForText(page, '.session__name', 'Rina');
    await page.click(conversationOf(rina.session.sessionId));
    await waitForText(page, '.msg--in .msg__text', 'Halo penyiar!');

    // Keyboard only: Tab to "Bisukan", Enter opens the dialog, Enter confirms (1 jam preselected).
    await tabTo(page, '.mod-mute');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open]', { timeout: WAIT });
    await screenshot(page, 'moderation-mute-dialog');
    await assertAccessible(page, 'the mute dialog');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.modbar .block-badge[data-mode=mute]:not([hidden])', { timeout: WAIT });
    assert.match(
      (await page.textContent('.modbar .block-badge')) ?? '',
      /^Dibisukan s\.d\. \d\d\.\d\d · oleh Penyiar A$/,
    );
    assert.equal(
      await page.getAttribute(`${conversationOf(rina.session.sessionId)} .block-badge`, 'data-mode'),
      'mute',
    );
    // The focus stays in the controls: the button that replaced "Bisukan".
    await waitFor(() => focusIs(page, '.mod-lift'), { message: 'focus on the lift button' });
    // Live on the other dashboard (phone width: in the list).
    await waitForText(colleague.page, '.session .block-badge', 'Dibisukan');
    await screenshot(colleague.page, 'moderation-list-390');

    // Muted: the listener is acknowledged, no dashboard gets the message.
    const countBefore = (await texts(page, '.msg--in')).length;
    await sendAsListener(rina.socket, 'pesan saat dibisukan');
    await sendAsListener(rina.socket, 'pesan penanda');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await texts(page, '.msg--in')).length, countBefore, 'a muted message reached the dashboard');

    // Lift with Enter (no dialog), then ban: the ban dialog starts on the duration.
    await page.keyboard.press('Enter');
    await page.waitForSelector('.modbar .block-badge[hidden]', { state: 'attached', timeout: WAIT });
    await waitFor(async () => (await colleague.page.$('.session .block-badge')) === null, {
      message: 'the mute gone from the second dashboard',
    });
    await screenshot(page, 'moderation-conversation');
    await page.click('.mod-ban');
    await page.waitForSelector('dialog[open]', { timeout: WAIT });
    assert.ok(await focusIs(page, 'dialog input[name=duration]'), 'the ban dialog starts on the duration');
    await page.keyboard.press('ArrowLeft'); // 24 jam → 1 jam
    await page.fill('dialog input[name=reason]', 'spam berulang');
    await page.click('dialog button[type=submit]');
    const banned = await rina.socket.next('error:banned', WAIT);
    assert.ok(banned['until'], 'a ban with an end');
    assert.equal((await rina.socket.closed).code, 4403);
    await waitForText(colleague.page, '.session .block-badge', 'Diblokir');
    await page.click('.mod-lift');
    await page.waitForSelector('.modbar .block-badge[hidden]', { state: 'attached', timeout: WAIT });
    assert.deepEqual(desk.errors, []);
  });

  test('hide and show again live; a held message is released', async () => {
    const { page } = desk;
    const budi = await connectListener(server, 'Budi');
    await sendAsListener(budi.socket, 'Putar lagu Dewa 19 dong');
    const heldId = await sendAsListener(budi.socket, `dasar ${BLOCKED_WORD} semua`);
    await page.click(conversationOf(budi.session.sessionId));
    const held = `.msg[data-message-id="${heldId}"]`;
    await page.waitForSelector(`${held}[data-hidden=filter]`, { timeout: WAIT });
    assert.equal(await page.isVisible(`${held} .msg__text`), false, 'the held text is collapsed');
    await waitForText(page, `${conversationOf(budi.session.sessionId)} .session__last`, 'Pesan ditahan filter');
    await page.click(`${held} .msg__reveal`);
    assert.equal(await page.isVisible(`${held} .msg__text`), true);
    await screenshot(page, 'moderation-held');
    await assertAccessible(page, 'a conversation with a held message');
    await page.click(`${held} .msg__unhide`);
    await page.waitForSelector(`${held}:not([data-hidden])`, { timeout: WAIT });

    // Hide from the keyboard: Tab to the button of the first message, Enter.
    await page.focus(`${conversationOf(budi.session.sessionId)}`);
    await tabTo(page, '.msg--in .msg__hide');
    const hiddenId = await page.evaluate(
      () => (document.activeElement!.closest('.msg') as HTMLElement).dataset['messageId'],
    );
    await page.keyboard.press('Enter');
    const selector = `.msg[data-message-id="${hiddenId}"]`;
    await page.waitForSelector(`${selector}[data-hidden=hidden]`, { timeout: WAIT });
    await waitFor(() => focusIs(page, `${selector} .msg__unhide`), { message: 'focus on "show again"' });
    // Live on the other dashboard once it opens the conversation.
    await colleague.page.click(conversationOf(budi.session.sessionId));
    await colleague.page.waitForSelector(`${selector}[data-hidden=hidden]`, { timeout: WAIT });
    await screenshot(colleague.page, 'moderation-hidden-390');
    await page.keyboard.press('Enter');
    await colleague.page.waitForSelector(`${selector}:not([data-hidden])`, { timeout: WAIT });
    await colleague.page.click('.back');
    budi.socket.ws.close();
  });

  test('the Akun page: create, disable (its dashboard logs out), audit log', async () => {
    const { page } = desk;
    await page.click('.accounts-link');
    await page.waitForSelector('table.accounts tbody tr', { timeout: WAIT });
    await page.fill('.new-account input[name=username]', 'dewi');
    await page.fill('.new-account input[name=name]', 'Dewi Lestari');
    await page.fill('.new-account input[name=password]', 'rahasia-dewi-1');
    await page.click('.new-account button[type=submit]');
    await page.waitForSelector('tr[data-username=dewi]', { timeout: WAIT });

    // Dewi logs in: a penyiar gets no "Akun".
    const dewi = await open(`${server.baseUrl}/dashboard`);
    await loginBroadcaster(dewi.page, { username: 'dewi', password: 'rahasia-dewi-1' });
    assert.equal(await dewi.page.isVisible('.accounts-link'), false);
    assert.match((await dewi.page.textContent('.who')) ?? '', /penyiar/);

    await page.click('tr[data-username=dewi] .acc-disable');
    await page.waitForSelector('dialog[open]', { timeout: WAIT });
    assert.ok(await focusIs(page, 'dialog .secondary'), 'disabling starts on "Batal"');
    await page.click('dialog button[type=submit]');
    await waitForText(page, 'tr[data-username=dewi] .pill', 'Nonaktif');
    await dewi.page.waitForSelector('form.login', { timeout: WAIT });

    await page.click('.card__head .secondary');
    await waitForText(page, 'table.audit td', 'Membuat akun');
    await waitForText(page, 'table.audit td', 'Membisukan');
    await waitForText(page, 'table.audit td', 'Memblokir');
    await screenshot(page, 'moderation-akun');
    await assertAccessible(page, 'the Akun page');

    const phone = await open(`${server.baseUrl}/dashboard`, PHONE);
    await loginBroadcaster(phone.page, server.admin);
    await phone.page.click('.accounts-link');
    await phone.page.waitForSelector('table.audit tbody tr', { timeout: WAIT });
    await screenshot(phone.page, 'moderation-akun-390');
    await assertAccessible(phone.page, 'the Akun page at 390 px');
    await phone.context.close();
  });

  test('a manager erases a session: gone from every dashboard and the database', async () => {
    const { page } = desk;
    await page.click('.accounts__back');
    const tono = await connectListener(server, 'Tono');
    await sendAsListener(tono.socket, 'Tolong hapus data saya');
    await waitForText(page, '.session__name', 'Tono');
    await waitForText(colleague.page, '.session__name', 'Tono');
    await page.click(conversationOf(tono.session.sessionId));
    await page.click('.mod-erase');
    await page.waitForSelector('dialog[open]', { timeout: WAIT });
    assert.ok(await focusIs(page, 'dialog .secondary'), 'erasing starts on "Batal"');
    await page.click('dialog button.danger');
    await waitFor(async () => (await page.$(conversationOf(tono.session.sessionId))) === null, {
      message: 'the erased session gone from the list',
    });
    await waitFor(async () => (await colleague.page.$(conversationOf(tono.session.sessionId))) === null, {
      message: 'the erased session gone from the second dashboard',
    });
    assert.equal(await page.isVisible('.placeholder'), true, 'the conversation pane is empty again');
    const token = await page.evaluate(
      () => (JSON.parse(localStorage.getItem('suara-pendengar.dashboard.auth')!) as { token: string }).token,
    );
    const left = await json(`${server.baseUrl}/livechat/admin/sessions/${tono.session.sessionId}/messages`, { token });
    assert.equal(left.status, 404);
    tono.socket.ws.close();
  });

  test('logout ends the token on the server', async () => {
    const { page } = desk;
    const token = await page.evaluate(
      () => (JSON.parse(localStorage.getItem('suara-pendengar.dashboard.auth')!) as { token: string }).token,
    );
    assert.equal((await json(`${server.baseUrl}/livechat/admin/sessions`, { token })).status, 200);
    await page.click('.logout');
    await page.waitForSelector('form.login', { timeout: WAIT });
    await waitFor(async () => (await json(`${server.baseUrl}/livechat/admin/sessions`, { token })).status === 401, {
      message: 'the logged-out token refused',
    });
    assert.deepEqual(
      desk.errors.filter((e) => !e.includes('401')),
      [],
    );
  });
});
