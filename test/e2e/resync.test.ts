/**
 * The dashboard's periodic resync: a message that is stored but never
 * published (an instance killed between its commit and its publication) must
 * still reach a dashboard that stays connected. The tests store such messages
 * straight into the server's database, behind its back, and watch a dashboard
 * opened with a short interval (`?resyncMs=`) pick them up: within a few
 * intervals, once, in stored order, without a reconnect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createSession, json, listenerUrl, loginAdmin, TestSocket } from '../helpers/clients.js';
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
import { waitFor } from '../helpers/wait.js';

const RESYNC_MS = 1_000;
/** "Within a few intervals", with room for a busy machine. */
const FEW_INTERVALS = 8 * RESYNC_MS;

let server: TestServer;
let browser: Browser;
let dashboard: TrackedPage;
const pages: TrackedPage[] = [];
const sockets: TestSocket[] = [];

interface Listener {
  sessionId: string;
  name: string;
  socket: TestSocket;
}

async function open(url: string): Promise<TrackedPage> {
  const tracked = await openPage(browser, url);
  pages.push(tracked);
  return tracked;
}

async function countNotifications(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { notifications: number };
    w.notifications = 0;
    window.addEventListener('livechat:notify', () => w.notifications++);
  });
}

async function notifications(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { notifications: number }).notifications);
}

/** A listener with an open connection, as the widget would have. */
async function listener(name: string): Promise<Listener> {
  const session = await createSession(server, name, 'Bandung');
  const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
  sockets.push(socket);
  await socket.next('connection:success');
  return { sessionId: session.sessionId, name, socket };
}

/** Sent the normal way: stored, acknowledged and published to the dashboards. */
async function sendLive(who: Listener, text: string): Promise<void> {
  const clientMessageId = `c-${Math.random().toString(36).slice(2)}`;
  who.socket.ws.send(JSON.stringify({ event: 'message:send', data: { text, clientMessageId } }));
  await who.socket.next('message:ack', 5_000, (d) => d['clientMessageId'] === clientMessageId);
}

/** Stored without being published: what a crash between commit and publish leaves behind. */
async function storeSilently(sessionId: string, from: string, text: string): Promise<string> {
  const result = await server.server.store.messages.insert({
    sessionId,
    direction: 'listener',
    senderKey: `session:${sessionId}`,
    from,
    text,
  });
  return result.message.messageId;
}

async function storedTexts(sessionId: string): Promise<string[]> {
  const token = await loginAdmin(server);
  const list = await json(`${server.baseUrl}/livechat/admin/sessions/${sessionId}/messages?limit=500`, { token });
  return (list.body.messages as { text: string }[]).map((m) => m.text);
}

const session = (sessionId: string) => `.session[data-session-id="${sessionId}"]`;
const shownMessages = '.conversation-pane .msg .msg__text';
const listings = (tracked: TrackedPage) =>
  tracked.log.filter((line) => / http GET \/livechat\/admin\/sessions(\?|\s)/.test(line)).length;
const adminSocketCloses = (tracked: TrackedPage) =>
  tracked.log.filter((line) => line.endsWith(' close /livechat/admin/ws')).length;

describe('the dashboard resyncs while it stays connected', () => {
  let rina: Listener;
  let budi: Listener;

  before(async () => {
    await buildWebAssets();
    server = await startTestServer();
    browser = await launchBrowser();
  });

  after(async () => {
    pages.forEach((p, i) => saveLog(`resync-page-${i + 1}`, p));
    for (const socket of sockets) socket.ws.close();
    await browser?.close();
    await server?.stop();
  });

  test('messages stored but never published show up within a few intervals, once, in stored order', async () => {
    rina = await listener('Rina');
    budi = await listener('Budi');
    await sendLive(budi, 'Halo dari Budi');
    await sendLive(rina, 'Halo dari Rina');

    dashboard = await open(`${server.baseUrl}/dashboard/?resyncMs=${RESYNC_MS}`);
    await loginBroadcaster(dashboard.page, server.admin);
    await waitForText(dashboard.page, `${session(budi.sessionId)} .session__last`, 'Halo dari Budi', WAIT);
    await waitForText(dashboard.page, `${session(budi.sessionId)} .badge`, '1', WAIT);
    await dashboard.page.click(session(rina.sessionId));
    await waitForText(dashboard.page, shownMessages, 'Halo dari Rina', WAIT);
    await countNotifications(dashboard.page);

    // Behind the server's back: one into the open conversation, two into the other one.
    await storeSilently(rina.sessionId, 'Rina', 'Rina: tersimpan, tak pernah disiarkan');
    await storeSilently(budi.sessionId, 'Budi', 'Budi: tersimpan 1');
    await storeSilently(budi.sessionId, 'Budi', 'Budi: tersimpan 2');

    await waitForText(dashboard.page, shownMessages, 'Rina: tersimpan, tak pernah disiarkan', FEW_INTERVALS);
    await waitForText(dashboard.page, `${session(budi.sessionId)} .session__last`, 'Budi: tersimpan 2', FEW_INTERVALS);
    await waitForText(dashboard.page, `${session(budi.sessionId)} .badge`, '3', WAIT);
    assert.match(await dashboard.page.title(), /^\(3\) /);
    // Budi's finds are newer than the previous look: one chime. Rina's conversation is open: none.
    assert.equal(await notifications(dashboard.page), 1);

    // Live traffic goes on around it; nothing is shown twice and the order is the stored one.
    await sendLive(rina, 'Rina: lewat jalur biasa');
    await storeSilently(rina.sessionId, 'Rina', 'Rina: tersimpan lagi');
    await waitForText(dashboard.page, shownMessages, 'Rina: tersimpan lagi', FEW_INTERVALS);
    const stored = await storedTexts(rina.sessionId);
    assert.deepEqual(stored, [
      'Halo dari Rina',
      'Rina: tersimpan, tak pernah disiarkan',
      'Rina: lewat jalur biasa',
      'Rina: tersimpan lagi',
    ]);
    // A few more intervals: repeated resyncs must not add anything.
    await dashboard.page.waitForTimeout(3 * RESYNC_MS);
    assert.deepEqual(
      await texts(dashboard.page, shownMessages),
      stored,
      'the open conversation shows each stored message once, in stored order',
    );
    assert.equal(
      await dashboard.page.locator(`${session(rina.sessionId)} .badge`).count(),
      0,
      'no unread badge for the open conversation',
    );

    await dashboard.page.click(session(budi.sessionId));
    await waitForText(dashboard.page, shownMessages, 'Budi: tersimpan 2', WAIT);
    assert.deepEqual(await texts(dashboard.page, shownMessages), await storedTexts(budi.sessionId));
    assert.deepEqual(await texts(dashboard.page, shownMessages), [
      'Halo dari Budi',
      'Budi: tersimpan 1',
      'Budi: tersimpan 2',
    ]);

    // All of it without a reconnect (which resyncs anyway): the periodic look found them.
    assert.equal(adminSocketCloses(dashboard), 0, 'the dashboard stayed connected');
    assert.equal(await dashboard.page.getAttribute('.status', 'data-state'), 'open');
    await screenshot(dashboard.page, 'dashboard-resync');
  });

  test('a session the dashboard never heard of shows up with its stored message', async () => {
    // No connection, so no presence event either: only the session list knows about it.
    const sari = await createSession(server, 'Sari', 'Bogor');
    await storeSilently(sari.sessionId, 'Sari', 'Sari: pesan yang hilang di jalan');
    await waitForText(
      dashboard.page,
      `${session(sari.sessionId)} .session__last`,
      'Sari: pesan yang hilang di jalan',
      FEW_INTERVALS,
    );
    await waitForText(dashboard.page, `${session(sari.sessionId)} .session__name`, 'Sari', WAIT);
    await waitForText(dashboard.page, `${session(sari.sessionId)} .badge`, '1', WAIT);
    assert.equal(await dashboard.page.locator('.session').count(), 3);
  });

  test('a find older than the previous look gets its badge but no sound', async () => {
    const sari = (
      await json(`${server.baseUrl}/livechat/admin/sessions`, { token: await loginAdmin(server) })
    ).body.sessions.find((s: { name: string }) => s.name === 'Sari') as { sessionId: string };
    const before = await notifications(dashboard.page);
    // Sari's history cannot be fetched for a while (a database hiccup): the resync that sees the
    // new message in the session list cannot get it; a later one can, and then it is old news.
    let refused = 0;
    const pattern = `**/livechat/admin/sessions/${sari.sessionId}/messages*`;
    await dashboard.page.route(pattern, (route) => {
      refused++;
      return route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: '{"error":"unavailable","message":"-"}',
      });
    });
    await storeSilently(sari.sessionId, 'Sari', 'Sari: tertunda');
    await waitFor(() => refused > 0, {
      message: 'a resync to try to fetch the new message',
      timeoutMs: FEW_INTERVALS,
      intervalMs: 50,
    });
    await dashboard.page.unroute(pattern);
    await waitForText(dashboard.page, `${session(sari.sessionId)} .session__last`, 'Sari: tertunda', FEW_INTERVALS);
    await waitForText(dashboard.page, `${session(sari.sessionId)} .badge`, '2', WAIT);
    assert.equal(
      await notifications(dashboard.page),
      before,
      'no sound for a message stored before the previous resync',
    );
  });

  test('the interval is bounded to at least one second', async () => {
    const eager = await open(`${server.baseUrl}/dashboard/?resyncMs=50`);
    await loginBroadcaster(eager.page, server.admin);
    const from = listings(eager);
    await eager.page.waitForTimeout(3_000);
    const count = listings(eager) - from;
    // At 50 ms that would be about sixty listings; at the 1 s floor, three at most.
    assert.ok(count >= 1 && count <= 4, `${count} session listings in 3 s`);
    await eager.context.close();
  });

  test('coming back to the tab resyncs at once, long before the default interval', async () => {
    const standard = await open(`${server.baseUrl}/dashboard/`);
    await loginBroadcaster(standard.page, server.admin);
    await waitForText(standard.page, `${session(budi.sessionId)} .session__last`, 'Budi: tersimpan 2', WAIT);
    await storeSilently(budi.sessionId, 'Budi', 'Budi: saat tab tersembunyi');
    // Headless tabs are always visible: announce "visible again" the way the browser does.
    await standard.page.waitForFunction(
      ([sel, expected]) => {
        document.dispatchEvent(new Event('visibilitychange'));
        return [...document.querySelectorAll(sel)].some((n) => n.textContent === expected);
      },
      [`${session(budi.sessionId)} .session__last`, 'Budi: saat tab tersembunyi'] as const,
      { timeout: WAIT, polling: 500 },
    );
    assert.equal(adminSocketCloses(standard), 0);
  });

  test('no page error on any page', () => {
    // The refused history requests above are logged by the browser; those are expected.
    const problems = pages.flatMap((p) => p.errors.filter((e) => !/Failed to load resource: .* 503/.test(e)));
    assert.deepEqual(problems, []);
  });
});
