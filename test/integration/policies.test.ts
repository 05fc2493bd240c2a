/**
 * Limits and policies that need their own settings: message rate limit and
 * abuse close, origin allow-list, per-IP connection limit, session-creation
 * and login limits, the metrics token. Run on both back ends and both brokers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TestSocket,
  adminUrl,
  createSession,
  json,
  listenerUrl,
  loginAdmin,
  upgradeStatus,
} from '../helpers/clients.js';
import { matrix } from '../helpers/server.js';
import { withServer } from '../helpers/with-server.js';
import { sleep } from '../helpers/wait.js';

const ALLOWED = 'https://radio.example';

for (const { dialect, broker } of matrix()) {
  describe(`policies on ${dialect} with the ${broker} broker`, () => {
    const server = withServer({
      dialect,
      broker,
      env: {
        LIVECHAT_RATE_LIMIT_MESSAGES: '3',
        LIVECHAT_RATE_LIMIT_WINDOW_SECONDS: '30',
        LIVECHAT_ADMIN_RATE_LIMIT_MESSAGES: '4',
        LIVECHAT_ALLOWED_ORIGINS: `${ALLOWED}, https://www.radio.example`,
        LIVECHAT_MAX_CONNECTIONS_PER_IP: '4',
        // Spread over six slices of 10 s: 12 at once, what this suite's tests create together.
        LIVECHAT_SESSION_CREATE_LIMIT_PER_MINUTE: '72',
        LIVECHAT_LOGIN_FAILURE_LIMIT: '3',
        LIVECHAT_METRICS_TOKEN: 'metrics-token-123',
      },
    });

    test('rate limit: over the limit is refused and not stored; abuse closes with 1008', async () => {
      const session = await createSession(server);
      const socket = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await socket.next('connection:success');
      for (let i = 0; i < 3; i++) {
        socket.send('message:send', { text: `pesan ${i}`, clientMessageId: `ok-${i}` });
        await socket.next('message:ack');
      }
      socket.send('message:send', { text: 'kebanyakan', clientMessageId: 'over-1' });
      const limited = await socket.next('error:rate_limited');
      assert.equal(limited['clientMessageId'], 'over-1');
      assert.ok(Number(limited['retryAfterMs']) > 0 && Number(limited['retryAfterMs']) <= 30_000);

      // A second tab shares the session's budget.
      const tab2 = await TestSocket.open(listenerUrl(server, session.sessionToken));
      await tab2.next('connection:success');
      tab2.send('message:send', { text: 'dari tab dua' });
      await tab2.next('error:rate_limited');
      await tab2.close();

      // Up to 10 refusals in the window keep the connection; the 11th closes it.
      for (let i = 0; i < 9; i++) socket.send('message:send', { text: 'spam' });
      await sleep(200);
      assert.equal(socket.ws.readyState, socket.ws.OPEN, 'ten refusals are tolerated');
      socket.send('message:send', { text: 'spam' });
      assert.equal((await socket.closed).code, 1008);

      const token = await loginAdmin(server);
      const history = await json(`${server.baseUrl}/livechat/admin/sessions/${session.sessionId}/messages`, { token });
      assert.equal(history.body.messages.length, 3, 'only the three allowed messages were stored');
    });

    test('broadcasters have their own, higher limit', async () => {
      const token = await loginAdmin(server);
      const admin = await TestSocket.open(adminUrl(server, token));
      await admin.next('connection:success');
      const session = await createSession(server);
      for (let i = 0; i < 4; i++) {
        admin.send('message:reply', { sessionId: session.sessionId, text: `balasan ${i}` });
        await admin.next('message:ack');
      }
      admin.send('message:reply', { sessionId: session.sessionId, text: 'satu lagi', clientMessageId: 'adm-over' });
      assert.equal((await admin.next('error:rate_limited'))['clientMessageId'], 'adm-over');
      await admin.close();
    });

    test('origins: a listed origin or none passes, others get 403 (WebSocket and HTTP)', async () => {
      const session = await createSession(server);
      const url = listenerUrl(server, session.sessionToken);
      assert.equal(await upgradeStatus(url, { origin: ALLOWED }), 101);
      assert.equal(await upgradeStatus(url), 101);
      for (const origin of [
        'https://evil.example',
        'https://radio.example.evil.example',
        'http://radio.example',
        'null',
      ]) {
        assert.equal(await upgradeStatus(url, { origin }), 403, origin);
      }
      const refused = await json(`${server.baseUrl}/livechat/session`, {
        body: { name: 'X' },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(refused.status, 403);
      assert.equal(typeof refused.body.error, 'string');
      const allowed = await json(`${server.baseUrl}/livechat/session`, {
        body: { name: 'X' },
        headers: { origin: ALLOWED },
      });
      assert.equal(allowed.status, 201);
      assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
      await sleep(50);
    });

    test('security headers: CSP without upgrade-insecure-requests, embed loader loadable cross-origin', async () => {
      const page = await fetch(`${server.baseUrl}/`);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'self' https:\/\/radio\.example https:\/\/www\.radio\.example/);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      const loader = await fetch(`${server.baseUrl}/embed.js`);
      assert.equal(loader.status, 200);
      assert.equal(loader.headers.get('cross-origin-resource-policy'), 'cross-origin');
      const other = await fetch(`${server.baseUrl}/healthz`);
      assert.equal(other.headers.get('cross-origin-resource-policy'), 'same-origin');
    });

    test('per-IP connection limit answers 429', async () => {
      const sockets: TestSocket[] = [];
      for (let i = 0; i < 4; i++) {
        const session = await createSession(server);
        sockets.push(await TestSocket.open(listenerUrl(server, session.sessionToken)));
      }
      const fifth = await createSession(server);
      assert.equal(await upgradeStatus(listenerUrl(server, fifth.sessionToken)), 429);
      await sockets[0]!.close();
      await sleep(50);
      sockets[0] = await TestSocket.open(listenerUrl(server, fifth.sessionToken));
      for (const socket of sockets) await socket.close();
    });

    test('session creation per IP per minute answers 429 beyond the limit', async () => {
      let limited: { status: number; body: any; headers: Headers } | undefined;
      for (let i = 0; i < 20 && !limited; i++) {
        const response = await json(`${server.baseUrl}/livechat/session`, { body: { name: `L${i}` } });
        if (response.status === 429) limited = response;
        else assert.equal(response.status, 201);
      }
      assert.ok(limited, 'the limit was reached');
      assert.equal(limited.body.error, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
    });

    test('login: repeated failures lock that username for this IP', async () => {
      const attempt = (password: string) =>
        json(`${server.baseUrl}/livechat/admin/login`, { body: { username: server.admin.username, password } });
      for (let i = 0; i < 3; i++) assert.equal((await attempt('salah-salah')).status, 401);
      const locked = await attempt(server.admin.password);
      assert.equal(locked.status, 429, 'even the right password waits once locked');
      assert.equal(locked.body.error, 'rate_limited');
    });

    test('metrics need the configured bearer token', async () => {
      assert.equal((await json(`${server.baseUrl}/metrics`)).status, 401);
      assert.equal((await json(`${server.baseUrl}/metrics`, { token: 'wrong' })).status, 401);
      const ok = await json(`${server.baseUrl}/metrics`, { token: 'metrics-token-123' });
      assert.equal(ok.status, 200);
      assert.match(ok.body, /livechat_connections_open/);
    });
  });
}
