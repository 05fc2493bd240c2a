/**
 * The embed snippet of docs/embed.md, as a station would use it: a page on
 * another origin loads /embed.js from the chat server, with
 * LIVECHAT_ALLOWED_ORIGINS listing both origins. The widget opens in an
 * iframe and its messages reach the server. A page on an origin not in the
 * list cannot frame the widget; no page can frame the dashboard.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame } from 'playwright-core';
import { json, loginAdmin } from '../helpers/clients.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  PAGE_WAIT_MS as WAIT,
  buildWebAssets,
  launchBrowser,
  openPage,
  repoRoot,
  screenshot,
  type TrackedPage,
} from './browser.js';
import { freePort } from '../helpers/ports.js';

/** A stand-in for the station's own website, hosting a copy of the loader as docs/embed.md says. */
async function stationSite(chatOrigin: string): Promise<{ server: Server; port: number }> {
  const loader = readFileSync(join(repoRoot, 'dist', 'web', 'embed.js'));
  const html = `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Radio Suara Pendengar</title></head>
<body><h1>Radio Suara Pendengar — 101,1 FM</h1><p>Dengarkan siaran kami dan sapa penyiar!</p>
<script src="/js/suara-pendengar-embed.js" async data-origin="${chatOrigin}" data-lang="id"></script>
</body></html>`;
  const server = createServer((req, res) => {
    if (req.url === '/js/suara-pendengar-embed.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(loader);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

let chat: TestServer;
let station: { server: Server; port: number };
let stranger: { server: Server; port: number };
let browser: Browser;
const pages: TrackedPage[] = [];

describe('embedding the widget on the station site', () => {
  before(async () => {
    await buildWebAssets();
    const port = await freePort();
    const chatOrigin = `http://127.0.0.1:${port}`;
    // The station page is served from "localhost", a different origin (and site) than 127.0.0.1.
    station = await stationSite(chatOrigin);
    stranger = await stationSite(chatOrigin);
    chat = await startTestServer({
      env: { PORT: String(port), LIVECHAT_ALLOWED_ORIGINS: `${chatOrigin},http://localhost:${station.port}` },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await chat?.stop();
    station?.server.close();
    stranger?.server.close();
  });

  test('the snippet adds a button that opens a working chat in an iframe', async () => {
    const page = await openPage(browser, `http://localhost:${station.port}/`);
    pages.push(page);
    await page.page.click('.suara-pendengar-chat-button', { timeout: WAIT });
    const handle = await page.page.waitForSelector('.suara-pendengar-chat-panel iframe', { timeout: WAIT });
    const frame = (await handle.contentFrame()) as Frame;
    await frame.waitForSelector('#name', { timeout: WAIT });
    await frame.fill('#name', 'Bayu');
    await frame.fill('#city', 'Malang');
    await frame.click('form.start-form button[type=submit]');
    await frame.waitForSelector('.status[data-state=open]', { timeout: WAIT });
    await frame.fill('.composer__input', 'Halo dari situs radio');
    await frame.press('.composer__input', 'Enter');
    await frame.waitForSelector('.msg--out[data-status=sent]', { timeout: WAIT });
    await screenshot(page.page, 'embed-station-page');

    const token = await loginAdmin(chat);
    const sessions = await json(`${chat.baseUrl}/livechat/admin/sessions`, { token });
    const bayu = sessions.body.sessions.find((s: { name: string }) => s.name === 'Bayu');
    assert.equal(bayu?.online, true);
    assert.equal(bayu?.city, 'Malang');
    assert.equal(await page.page.getAttribute('.suara-pendengar-chat-button', 'aria-expanded'), 'true');
    assert.deepEqual(page.errors, []);
  });

  test('even a listed site cannot frame the dashboard', async () => {
    const page = await openPage(browser, `http://localhost:${station.port}/`);
    pages.push(page);
    const handle = await page.page.evaluateHandle((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
      return frame;
    }, `${chat.baseUrl}/dashboard/`);
    const frame = (await handle.asElement()!.contentFrame()) as Frame;
    await frame.waitForLoadState('load', { timeout: WAIT });
    await page.page.waitForTimeout(300);
    assert.equal(await frame.$('#app'), null, 'the dashboard is not shown in the frame');
    assert.ok(
      page.errors.some((e) => /frame-ancestors|X-Frame-Options|Refused to (frame|display)/i.test(e)),
      `expected a framing refusal, got ${JSON.stringify(page.errors)}`,
    );
  });

  test('a site whose origin is not listed cannot frame the widget', async () => {
    const page = await openPage(browser, `http://localhost:${stranger.port}/`);
    await page.page.click('.suara-pendengar-chat-button', { timeout: WAIT });
    const handle = await page.page.waitForSelector('.suara-pendengar-chat-panel iframe', { timeout: WAIT });
    const frame = (await handle.contentFrame()) as Frame;
    // frame-ancestors refuses the document: the frame ends on an error page, never the widget's form.
    await frame.waitForLoadState('load', { timeout: WAIT });
    await page.page.waitForTimeout(300);
    assert.equal(await frame.$('#name'), null);
    assert.ok(
      page.errors.some((e) => /frame-ancestors|Refused to frame/i.test(e)),
      `expected a frame-ancestors refusal, got ${JSON.stringify(page.errors)}`,
    );
  });
});
