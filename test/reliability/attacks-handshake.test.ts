/**
 * Handshake attacks: look-alike and `null` Origins (both WebSocket endpoints
 * and the REST API), connection floods per IP and per session (429 before any
 * upgrade, never more than the limit, nothing leaked afterwards), upgrade
 * requests without a token held open, and oversized handshakes.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { TestSocket, createSession, json, listenerUrl, loginAdmin } from '../helpers/clients.js';
import { withServer } from '../helpers/with-server.js';
import { report } from './lib/report.js';
import { reliabilityScale } from './lib/scale.js';
import { sleep } from '../helpers/wait.js';

const scale = reliabilityScale();
const ALLOWED = 'https://radio.example';
const PER_IP = 10;

interface Probe {
  status: number;
  body: string;
  socket: WebSocket;
}

/** Opens an upgrade and reports its HTTP status (101 = opened); the socket stays open until closed by the caller. */
function probe(url: string, options: { origin?: string; localAddress?: string } = {}): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    socket.once('open', () => resolve({ status: 101, body: '', socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket }));
    });
    socket.once('error', reject);
  });
}

/** Writes a raw HTTP request and collects what comes back until the server closes (or the timeout). */
function raw(port: number, request: string, timeoutMs = 3000): Promise<{ response: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ response, closedByServer: false });
    }, timeoutMs);
    socket.on('data', (chunk) => (response += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closedByServer: true });
    });
    socket.write(Buffer.from(request, 'utf8'));
  });
}

const upgradeRequest = (path: string, extra: string[] = []) =>
  [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');

describe('handshake attacks', () => {
  let adminToken: string;

  const server = withServer({
    env: { LIVECHAT_ALLOWED_ORIGINS: ALLOWED, LIVECHAT_MAX_CONNECTIONS_PER_IP: String(PER_IP) },
  });
  before(async () => {
    adminToken = await loginAdmin(server);
  });

  test('look-alike and null Origins get 403 on both endpoints and the REST API', async (t) => {
    const session = await createSession(server);
    const lookAlikes = [
      'null',
      'https://radio.example.',
      'https://radio.example:443',
      'https://radio.example:8443',
      'https://RADIO.EXAMPLE',
      'https://radio.exampl',
      'https://xradio.example',
      'https://radio.example@evil.example',
      'https://evil.example#https://radio.example',
      'https://radio.example%2eevil.example',
      'https://r\u0430dio.example',
      'https://xn--rdio-5cd.example',
      'http://radio.example',
      'ws://radio.example',
      'wss://radio.example',
      'file://',
      'https://radio.example, https://evil.example',
      '*',
    ];
    const failures: string[] = [];
    for (const origin of lookAlikes) {
      // Raw requests: the Origin header goes out byte for byte (UTF-8 look-alikes included).
      for (const path of [`/livechat/ws?token=${session.sessionToken}`, `/livechat/admin/ws?token=${adminToken}`]) {
        const { response } = await raw(server.port, upgradeRequest(path, [`Origin: ${origin}`]));
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(response)?.[1]);
        if (status !== 403) failures.push(`${origin} on ${path.split('?')[0]}: ${status}`);
      }
      const rest = await fetch(`${server.baseUrl}/livechat/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: encodeURI(origin) },
        body: JSON.stringify({ name: 'X' }),
      });
      await rest.text();
      if (rest.status !== 403) failures.push(`${origin} on REST: ${rest.status}`);
    }
    // Two Origin headers (a proxy that appends): joined by Node, never matching the list.
    const doubled = await raw(
      server.port,
      upgradeRequest(`/livechat/ws?token=${session.sessionToken}`, [
        `Origin: ${ALLOWED}`,
        'Origin: https://evil.example',
      ]),
    );
    if (!doubled.response.startsWith('HTTP/1.1 403'))
      failures.push(`two Origin headers: ${doubled.response.split('\r\n')[0]}`);
    assert.deepEqual(failures, []);
    // Control: the real origin passes.
    const good = await probe(listenerUrl(server, session.sessionToken), { origin: ALLOWED });
    assert.equal(good.status, 101);
    good.socket.terminate();
    report(t, 'look-alike and null Origins', 'all refused with 403 (both WebSocket endpoints, REST)', {
      origins: lookAlikes.length + 1,
      requests: lookAlikes.length * 3 + 1,
      accepted: 0,
    });
  });

  test('a connection flood from one IP: exactly the limit opens, the rest get 429 before upgrading, nothing leaks', async (t) => {
    const flood = 100;
    const tokens = await Promise.all(
      Array.from({ length: flood }, async () => (await createSession(server)).sessionToken),
    );
    const results = await Promise.all(tokens.map((token) => probe(listenerUrl(server, token))));
    const opened = results.filter((r) => r.status === 101);
    const refused = results.filter((r) => r.status === 429);
    assert.equal(opened.length, PER_IP, 'exactly the per-IP limit opened');
    assert.equal(refused.length, flood - PER_IP);
    for (const r of refused) assert.equal(JSON.parse(r.body).error, 'rate_limited');
    // Another address is not affected.
    const elsewhere = await probe(listenerUrl(server, tokens[0]!), { localAddress: '127.0.0.2' });
    assert.equal(elsewhere.status, 101);
    elsewhere.socket.terminate();
    for (const r of results) r.socket.terminate();

    // Upgrades aborted right after the request (during the handshake's database lookup) leak nothing.
    await Promise.all(
      tokens.slice(0, 200).map(
        (token) =>
          new Promise<void>((resolve) => {
            const socket = connect(server.port, '127.0.0.1', () => {
              socket.write(upgradeRequest(`/livechat/ws?token=${token}`));
              socket.destroy();
              resolve();
            });
            socket.on('error', () => resolve());
          }),
      ),
    );
    await sleep(300);
    const again = await Promise.all(tokens.slice(0, PER_IP + 1).map((token) => probe(listenerUrl(server, token))));
    assert.deepEqual(
      again.map((r) => r.status).sort(),
      [...Array(PER_IP).fill(101), 429].sort(),
      'after the flood the whole limit is available again',
    );
    for (const r of again) r.socket.terminate();
    report(
      t,
      'connection flood from one IP',
      `${PER_IP} opened, the rest 429 before any upgrade; aborted upgrades leak no slot`,
      {
        attempts: flood,
        opened: opened.length,
        refused429: refused.length,
      },
    );
  });

  test('a connection flood on one session: at most 5 tabs, 429 for the rest', async (t) => {
    const session = await createSession(server);
    const addresses = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`);
    const results = await Promise.all(
      addresses.map((localAddress) => probe(listenerUrl(server, session.sessionToken), { localAddress })),
    );
    const opened = results.filter((r) => r.status === 101).length;
    const refused = results.filter((r) => r.status === 429).length;
    for (const r of results) r.socket.terminate();
    assert.equal(opened, 5);
    assert.equal(refused, addresses.length - 5);
    report(t, 'connection flood on one session', '5 opened, the rest 429', {
      attempts: addresses.length,
      opened,
      refused429: refused,
    });
  });

  test('upgrades without a token, held open, are answered 401 and closed by the server', async (t) => {
    const count = 300;
    const before = await new Promise<number>((resolve) => server.server.http.getConnections((_e, n) => resolve(n)));
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        raw(server.port, upgradeRequest(i % 2 ? '/livechat/ws' : '/livechat/admin/ws'), 5000),
      ),
    );
    const answered = results.filter((r) => r.response.startsWith('HTTP/1.1 401')).length;
    const closed = results.filter((r) => r.closedByServer).length;
    await sleep(100);
    const afterwards = await new Promise<number>((resolve) => server.server.http.getConnections((_e, n) => resolve(n)));
    assert.equal(answered, count, 'every one answered 401');
    assert.equal(closed, count, 'every one closed by the server, not left open');
    assert.ok(afterwards <= before, `no connection left behind (${before} before, ${afterwards} after)`);
    report(t, 'upgrades without a token held open', 'each answered 401 and closed by the server', {
      attempts: count,
      answered401: answered,
      closedByServer: closed,
      opened: 0,
    });
  });

  test('oversized handshakes: a huge token or URL is refused, the server carries on', async (t) => {
    const huge = await raw(server.port, upgradeRequest(`/livechat/ws?token=${'a'.repeat(5000)}.b.c`));
    assert.match(huge.response, /^HTTP\/1.1 401/);
    const tooLong = await raw(server.port, upgradeRequest(`/livechat/ws?token=${'a'.repeat(20_000)}`));
    assert.match(tooLong.response, /^HTTP\/1.1 431/);
    const manyHeaders = await raw(
      server.port,
      upgradeRequest(
        '/livechat/ws',
        Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${i}`),
      ),
    );
    assert.match(manyHeaders.response, /^HTTP\/1.1 4\d\d/);
    const session = await createSession(server);
    const ok = await TestSocket.open(listenerUrl(server, session.sessionToken));
    await ok.next('connection:success');
    await ok.close();
    assert.equal((await json(`${server.baseUrl}/healthz`)).status, 200);
    report(t, 'oversized handshakes', 'token over 4 KiB 401, URL or headers over 16 KiB 431, server unaffected', {
      accepted: 0,
    });
  });

  if (scale.name === 'large') {
    test('slowloris: upgrade requests that never finish do not block others and are closed by the server', async (t) => {
      let closed = 0;
      const started = Date.now();
      const sockets = Array.from({ length: 200 }, () => {
        const socket = connect(server.port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        socket.on('close', () => (closed += 1));
        socket.write('GET /livechat/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
        return socket;
      });
      const session = await createSession(server);
      const ok = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await ok.close();
      // headersTimeout (10 s) is enforced by Node's connection check, every 30 s by default.
      const deadline = Date.now() + 60_000;
      while (closed < sockets.length && Date.now() < deadline) await sleep(500);
      for (const s of sockets) s.destroy();
      assert.equal(closed, sockets.length, 'closed by the server after the headers timeout');
      report(
        t,
        'slowloris (upgrade headers never finished)',
        `others served meanwhile; all closed by the server after ${Math.round((Date.now() - started) / 1000)} s`,
        {
          attempts: sockets.length,
          closedByServer: closed,
        },
      );
    });
  }
});
